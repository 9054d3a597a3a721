/**
 * JSON Schema validation of a values document (ajv, draft-07), turned into one clear diagnostic per mistake.
 *
 * ajv fills in the schema's `default`s (`useDefaults`): the schema is the one place that owns them. Its raw errors
 * are reworded: unknown keys get a "did you mean" from the keys that object allows, type and enum errors say what
 * was expected and what was given, and the several errors an `anyOf` produces (one per rejected branch) collapse
 * into the one that explains the mistake.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { Diagnostic, Severity } from './diagnostics.js';
import { didYouMean } from './facts/did-you-mean.js';
import { DNS_LABEL_RULE } from './facts/dns-label.js';
import { PROMETHEUS_DURATION_RULE } from './facts/prometheus.js';
import { QUANTITY_RULE } from './facts/quantity.js';
import { isUnsupportedRoutingLogic, SUPPORTED_ROUTING_LOGICS } from './facts/routing-logic.js';
import { VALUES_SCHEMA } from './schema.js';
import { isSecretPath } from './secrets.js';
import { formatPath, type Locate, type Path, type PathSegment } from './source.js';

type SchemaObject = { readonly properties?: Record<string, unknown>; readonly [k: string]: unknown };
const DEFINITIONS = (VALUES_SCHEMA as { definitions: Record<string, SchemaObject> }).definitions;

/** What a value of a named definition looks like, said when a value is none of the forms it allows. */
const DEFINITION_FORMS = new Map<unknown, string>([
  [DEFINITIONS['quantity'], QUANTITY_RULE],
  [DEFINITIONS['portString'], 'is not a TCP port (1 to 65535, as a number or a string of digits, e.g. "55555")'],
  [DEFINITIONS['byteCount'], 'is not a byte count (a positive integer or a string of digits, e.g. "1073741824")'],
  [DEFINITIONS['gigabytes'], 'is not a size in GB (a non-negative number or numeric string, e.g. 5 or "2.5")'],
  [DEFINITIONS['secretValue'], 'is neither a string nor {secretName, secretKey} of an existing Secret'],
]);

/** What a pattern means, by the schema object that declares it or by the key that holds the value. */
const PATTERN_FORMS = new Map<unknown, string>([[DEFINITIONS['dnsLabel'], `${DNS_LABEL_RULE} (e.g. llama-prefill)`]]);
const PATTERN_FORMS_BY_KEY: Readonly<Record<string, string>> = {
  cudaVisibleDevices: 'is not a list of GPU indexes (e.g. "0" or "0,1")',
  gpuMemoryUtilization: 'is not a number (the fraction of GPU memory vLLM may use, e.g. 0.9)',
  minAvailable: 'is neither a count nor a percentage (e.g. 1 or "50%")',
  maxUnavailable: 'is neither a count nor a percentage (e.g. 1 or "50%")',
  interval: PROMETHEUS_DURATION_RULE,
  scrapeTimeout: PROMETHEUS_DURATION_RULE,
};

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, useDefaults: true, strict: true, verbose: true }).compile(VALUES_SCHEMA);
  return compiled;
}

/** Validates `data` against the values schema, filling in defaults in place. */
export function validateSchema(data: unknown, file: string, locate: Locate): Diagnostic[] {
  const validate = validator();
  if (validate(data)) return [];
  const diagnostic = (path: Path, message: string, severity: Severity = 'error'): Diagnostic => ({
    file,
    ...locate(path),
    severity,
    path: formatPath(path),
    message,
  });
  return explain(validate.errors ?? []).map(({ path, message }) => diagnostic(path, message));
}

interface Explained {
  readonly path: Path;
  readonly message: string;
}

function explain(errors: readonly ErrorObject[]): Explained[] {
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const out: Explained[] = [];
  for (const [instancePath, group] of byPath) {
    const path = parsePointer(instancePath);
    const hasDeeper = errors.some((e) => e.instancePath.startsWith(`${instancePath}/`));
    for (const e of withoutTypoedRequired(collapseAnyOf(group, hasDeeper))) out.push(explainOne(e, path));
  }
  return out;
}

/** A required key reported missing because it is misspelt: the unknown-key "did you mean" already says it all. */
function withoutTypoedRequired(group: readonly ErrorObject[]): ErrorObject[] {
  const suggested = new Set(
    group
      .filter((e) => e.keyword === 'additionalProperties')
      .map((e) =>
        didYouMean(
          String(e.params['additionalProperty']),
          Object.keys((e.parentSchema as SchemaObject).properties ?? {}),
        ),
      ),
  );
  return group.filter((e) => !(e.keyword === 'required' && suggested.has(String(e.params['missingProperty']))));
}

/**
 * An `anyOf` that failed reports one error per branch plus its own. Keep what explains the mistake: the form of a
 * named definition (quantity, port, ...) for a scalar; else the errors of the branches whose type matched (they
 * say what is wrong inside); else one "expected A or B" error.
 */
function collapseAnyOf(group: readonly ErrorObject[], hasDeeper: boolean): ErrorObject[] {
  const anyOf = group.filter((e) => e.keyword === 'anyOf');
  if (anyOf.length === 0) return [...group];
  const data: unknown = anyOf[0]!.data;
  const named = anyOf.find((e) => DEFINITION_FORMS.has(e.parentSchema));
  if (named && (data === null || typeof data !== 'object')) {
    // A string or number was meant as the named form; anything else, when the named definition is one branch of a
    // wider anyOf (pvcStorage: a quantity or {emptyDir}), is better told what the wider one accepts.
    const wider = anyOf.find(
      (e) =>
        !DEFINITION_FORMS.has(e.parentSchema) && typeof (e.parentSchema as SchemaObject)['description'] === 'string',
    );
    return [typeof data === 'string' || typeof data === 'number' ? named : (wider ?? named)];
  }
  const inBranch = group.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'type');
  if (inBranch.length > 0 || hasDeeper) return inBranch;
  const outer = anyOf[anyOf.length - 1]!;
  const types = [...new Set(group.filter((e) => e.keyword === 'type').map((e) => String(e.params['type'])))];
  return [{ ...outer, keyword: 'type', params: { type: types.join(' or ') } }];
}

function explainOne(e: ErrorObject, path: Path): Explained {
  const data: unknown = e.data;
  // A secret's value is never shown, only what kind of value it is.
  const describe = isSecretPath(path) ? describeKind : describeValue;
  switch (e.keyword) {
    case 'additionalProperties':
      return unknownKey(
        path,
        String(e.params['additionalProperty']),
        Object.keys((e.parentSchema as SchemaObject).properties ?? {}),
      );
    case 'required':
      return {
        path: [...path, String(e.params['missingProperty'])],
        message:
          e.parentSchema === DEFINITIONS['secretRef']
            ? `missing required key \`${String(e.params['missingProperty'])}\`: a reference to an existing Secret needs both secretName and secretKey`
            : `missing required key \`${String(e.params['missingProperty'])}\`: add it`,
      };
    case 'type':
      return { path, message: `expected ${String(e.params['type'])}, given ${describe(data)}` };
    case 'enum':
      if (path[path.length - 1] === 'routingLogic' && isUnsupportedRoutingLogic(data))
        return {
          path,
          message: `routing logic ${data} is not supported by pdstack-router yet (${data} routing needs the LMCache controller); choose one of: ${SUPPORTED_ROUTING_LOGICS.join(', ')}`,
        };
      return {
        path,
        message: `${describe(data)} is not one of the allowed values: ${(e.params['allowedValues'] as unknown[]).map(String).join(', ')}`,
      };
    case 'anyOf':
      return {
        path,
        message: `${describe(data)} ${DEFINITION_FORMS.get(e.parentSchema) ?? `is not allowed here: ${String((e.parentSchema as SchemaObject)['description'])}`}`,
      };
    case 'pattern': {
      const form = PATTERN_FORMS.get(e.parentSchema) ?? PATTERN_FORMS_BY_KEY[String(path[path.length - 1])];
      return {
        path,
        message: `${describe(data)} ${form ?? `does not match the pattern ${String(e.params['pattern'])}`}`,
      };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {
        path,
        message: `must be ${String(e.params['comparison']).replace('>=', '≥').replace('<=', '≤')} ${String(e.params['limit'])}, given ${describe(data)}`,
      };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'maxLength':
      return {
        path,
        message: `${describe(data)} is ${String(data).length} characters long; at most ${String(e.params['limit'])} are allowed`,
      };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

function unknownKey(parent: Path, key: string, allowed: readonly string[]): Explained {
  const path: PathSegment[] = [...parent, key];
  const suggestion = didYouMean(key, allowed);
  if (suggestion) return { path, message: `unknown key \`${key}\`; did you mean \`${suggestion}\`?` };
  const where = parent.length === 0 ? 'at the top level' : `in ${formatPath(parent)}`;
  const keys = allowed.length <= 10 ? ` (allowed: ${allowed.join(', ')})` : '';
  return { path, message: `unknown key \`${key}\` ${where}${keys}; remove it or fix its spelling` };
}

function describeValue(data: unknown): string {
  if (typeof data === 'string') return JSON.stringify(data);
  if (typeof data === 'number' || typeof data === 'boolean') return `${typeof data} ${String(data)}`;
  return describeKind(data);
}

function describeKind(data: unknown): string {
  if (data === null) return 'null';
  if (Array.isArray(data)) return 'a list';
  if (typeof data === 'object') return 'a mapping';
  return `a ${typeof data}`;
}

function parsePointer(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}
