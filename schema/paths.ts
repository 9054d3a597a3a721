/** The package root, whether this code runs from source (vitest) or compiled under `build/`, and its version. */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

const parent = resolve(__dirname, '..');
export const PACKAGE_ROOT = basename(parent) === 'build' ? resolve(parent, '..') : parent;

/** The `version` of the package's package.json (the tag of pdstack-router's image, the chart's appVersion). */
export const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
