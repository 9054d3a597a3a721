/** The package root, whether this code runs from source (vitest) or compiled under `build/`. */
import { basename, resolve } from 'node:path';

const parent = resolve(__dirname, '..');
export const PACKAGE_ROOT = basename(parent) === 'build' ? resolve(parent, '..') : parent;
