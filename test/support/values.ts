/** Values fixtures for construct tests: the bundled example, parsed without the compiler (library use). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import type { PdstackValues } from '../../schema/values.generated.js';

export const REPO = join(__dirname, '..', '..');
export const EXAMPLE_VALUES_FILE = join(REPO, 'charts', 'example', 'values.yaml');
export const TUTORIAL_VALUES_FILE = join(REPO, '..', 'shared', 'reference', 'values-16-disagg-prefill.yaml');

export function exampleValues(): PdstackValues {
  return load(readFileSync(EXAMPLE_VALUES_FILE, 'utf8')) as PdstackValues;
}
