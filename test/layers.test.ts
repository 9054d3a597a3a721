/**
 * The folders are layers that import downward only (README, Layout):
 *   schema/facts → schema (the values front end) → constructs → charts;  router → schema/facts only.
 * Every import and re-export of every .ts file under them is read (TypeScript's own pre-processor, so multi-line,
 * type-only and dynamic imports count) and checked against what its layer may import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO } from './support/values.js';

interface Import {
  /** The importing file, relative to the repository. */
  readonly file: string;
  /** The imported file relative to the repository (`.js` read as its `.ts` source), or the package name. */
  readonly target: string;
  readonly relative: boolean;
}

function sources(folder: string): string[] {
  return readdirSync(join(REPO, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(folder, f));
}

function importsOf(file: string): Import[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(REPO, file), 'utf8'), true, true);
  return importedFiles.map(({ fileName }) => {
    if (!fileName.startsWith('.')) {
      const [scope = '', name = ''] = fileName.split('/');
      return { file, target: scope.startsWith('@') ? `${scope}/${name}` : scope, relative: false };
    }
    const target = relative(REPO, resolve(REPO, dirname(file), fileName)).replace(/\.js$/, '.ts');
    return { file, target, relative: true };
  });
}

const under = (folder: string) => (path: string) => path.startsWith(`${folder}/`);
const FACTS = under('schema/facts');
const FACTS_PACKAGES: readonly string[] = ['commander', 'fastest-levenshtein'];
const SCHEMA = under('schema');
const CONSTRUCTS = under('constructs');
const CHARTS = under('charts');
const ROUTER = under('router');
/** What the constructs take from the values front end: types, the schema's defaults, which models render; never the validator. */
const SCHEMA_FOR_CONSTRUCTS = new Set([
  'schema/values.generated.ts',
  'schema/schema.ts',
  'schema/rendered.ts',
  'schema/extra-objects.ts',
]);
/** Packages the router image must not bundle. */
const NOT_IN_ROUTER_IMAGE = new Set(['cdk8s', 'cdk8s-plus-28', 'constructs', 'ajv']);

interface Layer {
  readonly folder: string;
  /** Whether a file of this layer may import `target`. */
  readonly may: (i: Import) => boolean;
}

const LAYERS: readonly Layer[] = [
  // The bottom: imports only its own files and two small packages without dependencies, commander (the router's flag
  // parser) and fastest-levenshtein (did-you-mean): the router image bundles it.
  { folder: 'schema/facts', may: (i) => (i.relative ? FACTS(i.target) : FACTS_PACKAGES.includes(i.target)) },
  // The values front end: the facts and itself (and packages), nothing built on it.
  { folder: 'schema', may: (i) => !i.relative || SCHEMA(i.target) },
  // The library: the facts and the front end's light modules; its entry point also exports the compiler.
  {
    folder: 'constructs',
    may: (i) =>
      !i.relative ||
      CONSTRUCTS(i.target) ||
      FACTS(i.target) ||
      SCHEMA_FOR_CONSTRUCTS.has(i.target) ||
      (i.file === 'constructs/index.ts' && i.target === 'schema/index.ts'),
  },
  // The CLI and chart generator: everything below it, not the router.
  {
    folder: 'charts',
    may: (i) =>
      !i.relative || CHARTS(i.target) || CONSTRUCTS(i.target) || SCHEMA(i.target) || i.target === 'package.json',
  },
  // The router: its own files and the facts, and none of the packages of the compiler and constructs.
  {
    folder: 'router',
    may: (i) => (i.relative ? ROUTER(i.target) || FACTS(i.target) : !NOT_IN_ROUTER_IMAGE.has(i.target)),
  },
];

/** The layer of a file: the innermost folder that holds it. */
const layerOf = (file: string): Layer =>
  [...LAYERS].sort((a, b) => b.folder.length - a.folder.length).find((l) => under(l.folder)(file))!;

const FILES = [...new Set(LAYERS.flatMap((l) => sources(l.folder)))];
const ALL = FILES.flatMap(importsOf);

describe('layers', () => {
  it('reads the imports of every layer', () => {
    const seen = (file: string, target: string): boolean => ALL.some((i) => i.file === file && i.target === target);
    expect(seen('constructs/engine.ts', 'schema/facts/names.ts')).toBe(true);
    expect(seen('schema/semantics.ts', 'schema/facts/pd-engine.ts')).toBe(true);
    expect(seen('schema/validate.ts', 'ajv')).toBe(true);
    expect(seen('router/app.ts', 'fastify')).toBe(true);
    for (const { folder } of LAYERS) expect(FILES.filter(under(folder)).length).toBeGreaterThan(3);
  });

  it('import downward only: schema/facts → schema → constructs → charts; router → schema/facts', () => {
    const wrong = ALL.filter((i) => !layerOf(i.file).may(i)).map((i) => `${i.file} imports ${i.target}`);
    expect(wrong).toEqual([]);
  });

  it('catch an upward or sideways import', () => {
    const bad: Import[] = [
      { file: 'schema/facts/names.ts', target: 'schema/values.generated.ts', relative: true },
      { file: 'schema/facts/names.ts', target: 'js-yaml', relative: false },
      { file: 'schema/semantics.ts', target: 'constructs/lmcache.ts', relative: true },
      { file: 'constructs/stack.ts', target: 'schema/index.ts', relative: true },
      { file: 'constructs/engine.ts', target: 'charts/synth.ts', relative: true },
      { file: 'charts/cli.ts', target: 'router/main.ts', relative: true },
      { file: 'router/app.ts', target: 'schema/semantics.ts', relative: true },
      { file: 'router/app.ts', target: 'ajv', relative: false },
    ];
    expect(bad.filter((i) => layerOf(i.file).may(i))).toEqual([]);
  });
});
