/**
 * The chart's `values.schema.json`: the compiler's schema (`schema/values.schema.json`) with one documented
 * relaxation that Helm's `--set` on a list forces.
 *
 * Helm 3.18.0 and 4.1.4 both build `--set servingEngineSpec.modelSpec[1].replicaCount=3` into a new list that
 * replaces the chart's list: `[null, {replicaCount: 3}]` (verified; with `-f` holding the list, `--set` merges into
 * that file's entry instead). Under the compiler's schema such a list is invalid (null entry, missing `name`...),
 * so every index `--set` would fail. In the chart's schema an entry of `servingEngineSpec.modelSpec` may therefore
 * also be null (keep the compiled entry) or an *override*: any keys of a model except `name`, each with the
 * compiler's own schema for it, none required (an entry with a `name` is a whole model, checked exactly as the
 * compiler checks it). The chart's templates read an override's knobs over the compiled entry, and its
 * guard rejects an override of any other key. The compiler itself keeps validating with the unrelaxed schema.
 */
import { VALUES_SCHEMA } from '../../schema/schema.js';

type Schema = Record<string, unknown>;

/** The definition an override entry is checked against. */
export const MODEL_OVERRIDE_DEFINITION = 'helmModelSpecOverride';

/** `generated` (who generated the chart and how to regenerate it) becomes the schema's `$comment`. */
export function chartSchema(generated: string): Schema {
  const { $schema, ...rest } = structuredClone(VALUES_SCHEMA) as Schema & { definitions: Record<string, Schema> };
  const schema = { $schema, $comment: generated, ...rest } as Schema & { definitions: Record<string, Schema> };
  const { definitions } = schema;
  const modelSpec = definitions['modelSpec'] as { properties: Record<string, unknown> };
  const modelList = (definitions['servingEngineSpec'] as { properties: Record<string, Schema> }).properties[
    'modelSpec'
  ];
  if (!modelList || (modelList['items'] as Schema | undefined)?.['$ref'] !== '#/definitions/modelSpec') {
    throw new Error(
      'values.schema.json: servingEngineSpec.modelSpec is no longer a list of #/definitions/modelSpec; update charts/helm/schema.ts',
    );
  }
  definitions[MODEL_OVERRIDE_DEFINITION] = {
    type: 'object',
    description:
      'Helm chart only: a `--set servingEngineSpec.modelSpec[i].KEY=...` override of the compiled model i (Helm replaces the list, ' +
      'leaving only the keys set); a key it omits keeps its compiled value',
    additionalProperties: false,
    not: {
      required: ['name'],
      description: 'an entry with a name is a whole model, checked as the compiler checks it',
    },
    properties: Object.fromEntries(
      Object.keys(modelSpec.properties).map((key) => [key, { $ref: `#/definitions/modelSpec/properties/${key}` }]),
    ),
  };
  modelList['items'] = {
    anyOf: [
      { $ref: '#/definitions/modelSpec' },
      { $ref: `#/definitions/${MODEL_OVERRIDE_DEFINITION}` },
      {
        type: 'null',
        description: 'Helm chart only: keeps the compiled model (what `--set` leaves at the indexes it does not set)',
      },
    ],
  };
  schema['description'] =
    `${String(schema['description'] ?? '')} Helm chart copy: servingEngineSpec.modelSpec entries may also be null or a partial override (see definitions.${MODEL_OVERRIDE_DEFINITION}).`;
  return schema;
}
