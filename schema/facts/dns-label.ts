/**
 * Kubernetes names: the DNS-label rule (RFC 1123: model names, namespaces, the Service part of a host name) and the
 * release-name rule. The schema's `dnsLabel` definition takes its pattern and length from here (`schema/schema.ts`),
 * the checks of meaning and the constructs call the functions, so every place applies one rule with one wording.
 * The `...Problem` functions return what is wrong as a phrase to follow the value (`` `Llama_3` is not ... ``), or
 * null when the name is valid.
 */
import { endpointPickerServiceName, engineInferencePoolName, engineServiceName } from './names.js';
import { RELEASE_SENTINEL } from './release-template.js';

/** An RFC 1123 label: lower-case alphanumerics and '-', starting and ending with an alphanumeric. */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** Kubernetes' limit on a label (and so on a Service or namespace name). */
export const DNS_LABEL_MAX_LENGTH = 63;
/** What a name that breaks the rule is told. */
export const DNS_LABEL_RULE =
  "is not a valid DNS label: use lower-case letters, digits and '-', starting and ending with a letter or digit";

const DNS_LABEL = new RegExp(DNS_LABEL_PATTERN);

export const isDnsLabel = (name: string): boolean => DNS_LABEL.test(name) && name.length <= DNS_LABEL_MAX_LENGTH;

/** Why `name` is not a DNS label, or null. */
export function dnsLabelProblem(name: string): string | null {
  if (!DNS_LABEL.test(name)) return DNS_LABEL_RULE;
  if (name.length > DNS_LABEL_MAX_LENGTH)
    return `is ${name.length} characters long; Kubernetes allows ${DNS_LABEL_MAX_LENGTH}`;
  return null;
}

/** Helm's limit on release names (its objects append suffixes). */
export const MAX_RELEASE_NAME_LENGTH = 53;
/** A release prefixes Service names, which must start with a letter (RFC 1035). */
const RELEASE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Why `release` cannot name a release, or null. */
export function releaseNameProblem(release: string): string | null {
  return RELEASE_NAME.test(release) && release.length <= MAX_RELEASE_NAME_LENGTH
    ? null
    : `is not valid: use at most ${MAX_RELEASE_NAME_LENGTH} lower-case letters, digits and '-', starting with a letter`;
}

/** What is wrong with `release` as the release a stack is installed as, in one sentence; null when it is valid. */
export function releaseNameMessage(release: string): string | null {
  const problem = releaseNameProblem(release);
  return problem && `release name \`${release}\` ${problem} (e.g. pd)`;
}

/** What is wrong with `namespace` as the namespace a stack is installed in, in one sentence; null when it is valid. */
export function namespaceMessage(namespace: string): string | null {
  const problem = dnsLabelProblem(namespace);
  return problem && `namespace \`${namespace}\` ${problem} (e.g. default)`;
}

/**
 * What is wrong with the engine Service name of `model` in `release` (production-stack's
 * `<release>-<model>-engine-service`, a DNS label), in one sentence; null when it fits. A generated chart is
 * synthesised for `RELEASE_SENTINEL`, standing for a release chosen at install: its names were checked for the
 * release the chart was compiled for, so the sentinel's own length does not count.
 */
export function engineServiceNameMessage(release: string, model: string): string | null {
  const service = engineServiceName(release, model);
  if (release === RELEASE_SENTINEL || service.length <= DNS_LABEL_MAX_LENGTH) return null;
  return `the engine Service \`${service}\` would be ${service.length} characters long; Kubernetes allows ${DNS_LABEL_MAX_LENGTH}: shorten the model name (or the release name \`${release}\`)`;
}

/**
 * Why the endpoint picker Service `<release>-<model>-inference-pool-epp` an InferencePool names (pdstack extension)
 * cannot exist, or null: a Service name is a DNS label. The chart's release sentinel is not checked.
 */
export function endpointPickerServiceNameMessage(release: string, model: string): string | null {
  const service = endpointPickerServiceName(engineInferencePoolName(release, model));
  if (release === RELEASE_SENTINEL || service.length <= DNS_LABEL_MAX_LENGTH) return null;
  return `the InferencePool's endpoint picker Service \`${service}\` would be ${service.length} characters long; Kubernetes allows ${DNS_LABEL_MAX_LENGTH}: shorten the model name (or the release name \`${release}\`)`;
}

/** An RFC 1123 subdomain: DNS labels joined by '.', the form of most object names (e.g. a LoraAdapter's). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes' limit on a DNS subdomain. */
export const DNS_SUBDOMAIN_MAX_LENGTH = 253;

/** Why `name` is not a DNS subdomain, or null. */
export function dnsSubdomainProblem(name: string): string | null {
  if (!DNS_SUBDOMAIN.test(name))
    return "is not a valid DNS subdomain: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit";
  if (name.length > DNS_SUBDOMAIN_MAX_LENGTH)
    return `is ${name.length} characters long; Kubernetes allows ${DNS_SUBDOMAIN_MAX_LENGTH}`;
  return null;
}

/** The form of a Secret's data key. */
const SECRET_DATA_KEY = /^[-._a-zA-Z0-9]+$/;

/** Why `key` cannot be a key of a Secret's data, or null. */
export function secretKeyProblem(key: string): string | null {
  return SECRET_DATA_KEY.test(key) ? null : "is not a Secret key (letters, digits, '-', '_', '.')";
}
