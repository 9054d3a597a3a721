/** The values JSON Schema (draft-07, self-contained): validated by ajv here and shipped as the chart's values.schema.json. */
import schemaJson from './values.schema.json';

export const VALUES_SCHEMA: Readonly<Record<string, unknown>> = schemaJson;
