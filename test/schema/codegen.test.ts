import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_TYPES_FILE, renderTypes } from '../../schema/codegen.js';

describe('schema/values.generated.ts', () => {
  it('is what values.schema.json generates (run `npm run gen:types` after editing the schema)', async () => {
    expect(readFileSync(GENERATED_TYPES_FILE, 'utf8')).toBe(await renderTypes());
  }, 30_000);
});
