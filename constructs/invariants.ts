/**
 * Constructor invariants: one line naming the construct, the prop and its value (secrets excepted), then the rule it
 * breaks. The rules live in schema/facts/ (DNS label, release name, quantity, the engine rules), the functions the
 * values compiler reports with, so a library user and a values file get one verdict in one wording.
 */
import {
  dnsLabelProblem,
  engineServiceNameMessage,
  namespaceMessage,
  releaseNameMessage,
} from '../schema/facts/dns-label.js';
import {
  engineProblems,
  type ContainerResourcesRulesInput,
  type EngineRulesInput,
  type RuleProblem,
} from '../schema/facts/engine-rules.js';
import { rayClusterNameMessage } from '../schema/facts/ray.js';

/** Throws unless `release` can name a release (it prefixes every object name). */
export function requireReleaseName(construct: string, release: string): void {
  const message = releaseNameMessage(release);
  if (message) throw new Error(`${construct}: ${message}`);
}

/** Throws unless `namespace` (when given) is a DNS label, as Kubernetes requires of a namespace. */
export function requireNamespace(construct: string, namespace: string | undefined): void {
  const message = namespace === undefined ? null : namespaceMessage(namespace);
  if (message) throw new Error(`${construct}: ${message}`);
}

/** Throws unless `release` and `namespace` are valid (see requireReleaseName, requireNamespace). */
export function requireReleaseAndNamespace(construct: string, release: string, namespace: string | undefined): void {
  requireReleaseName(construct, release);
  requireNamespace(construct, namespace);
}

/** Throws unless `value` of prop `prop` is a DNS label. */
export function requireDnsLabel(construct: string, prop: string, value: string): void {
  const problem = dnsLabelProblem(value);
  if (problem) throw new Error(`${construct}: ${prop} \`${value}\` ${problem}`);
}

/** Throws unless `value` of prop `prop` (when given) is a whole number of at least `min` (counts, replicas). */
export function requireWholeNumber(construct: string, prop: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min))
    throw new Error(`${construct}: ${prop}: ${value} is not a whole number of at least ${min}`);
}

/** Throws the first error among `problems`, at its key (warnings do not stop a construct). */
export function requireNoErrors(construct: string, problems: readonly RuleProblem[]): void {
  const first = problems.find((p) => p.severity === 'error');
  if (first) throw new Error(`${construct}: ${first.key.join('.')}: ${first.message}`);
}

/**
 * `VllmEngine`'s invariants on model `name` and its settings `rules` (`rulesInputOf`): a valid release and namespace,
 * a DNS-label model name whose engine Service name fits a DNS label, and the engine rules (whole GPUs, limits not
 * below requests, a coherent P/D role, ...).
 */
export function requireValidEngine(
  release: string,
  namespace: string | undefined,
  name: string,
  rules: Readonly<EngineRulesInput>,
): void {
  requireValidModel('VllmEngine', release, namespace, name, rules);
}

/**
 * `VllmRayCluster`'s invariants: those of `VllmEngine` on the model (its workers) with `head` as `raySpec.headNode`,
 * so the KubeRay rules apply (GPU arithmetic, no KEDA, no P/D role), and a RayCluster name KubeRay accepts.
 */
export function requireValidRayCluster(
  release: string,
  namespace: string | undefined,
  name: string,
  rules: Readonly<EngineRulesInput>,
  head: Readonly<ContainerResourcesRulesInput>,
): void {
  requireValidModel('VllmRayCluster', release, namespace, name, {
    ...rules,
    raySpec: { enabled: true, headNode: head },
  });
  const message = rayClusterNameMessage(release, name);
  if (message) throw new Error(`VllmRayCluster ${name}: name: ${message}`);
}

function requireValidModel(
  kind: string,
  release: string,
  namespace: string | undefined,
  name: string,
  rules: Readonly<EngineRulesInput>,
): void {
  requireReleaseAndNamespace(kind, release, namespace);
  requireDnsLabel(kind, 'name', name);
  const construct = `${kind} ${name}`;
  const serviceName = engineServiceNameMessage(release, name);
  if (serviceName) throw new Error(`${construct}: name: ${serviceName}`);
  requireNoErrors(construct, engineProblems(rules));
}
