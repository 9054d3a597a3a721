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
import { engineProblems, type RuleProblem } from '../schema/facts/engine-rules.js';
import { isRayModel, rayClusterNameMessage } from '../schema/facts/ray.js';
import type { ModelSpec } from '../schema/values.generated.js';

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

/** Throws the first error among `problems`, at its key (warnings do not stop a construct). */
export function requireNoErrors(construct: string, problems: readonly RuleProblem[]): void {
  const first = problems.find((p) => p.severity === 'error');
  if (first) throw new Error(`${construct}: ${first.key.join('.')}: ${first.message}`);
}

/**
 * `VllmEngine`'s invariants on the model's settings `spec`: a valid release and namespace, a DNS-label model name
 * whose engine Service name fits a DNS label, and the engine rules (whole GPUs, limits not below requests, a coherent P/D role, ...).
 */
export function requireValidEngine(release: string, namespace: string | undefined, spec: Readonly<ModelSpec>): void {
  if (isRayModel(spec))
    throw new Error(
      `VllmEngine ${spec.name}: options.raySpec.enabled: a KubeRay model is a VllmRayCluster (a RayCluster, no Deployment)`,
    );
  requireValidModel('VllmEngine', release, namespace, spec);
}

/**
 * `VllmRayCluster`'s invariants: no `raySpec` among the model's options (the head is a prop of its own), and those of
 * `VllmEngine` on the model (its workers) with `head` as `raySpec.headNode`, so the KubeRay rules apply (GPU
 * arithmetic, no KEDA, no P/D role).
 */
export function requireValidRayCluster(
  release: string,
  namespace: string | undefined,
  spec: Readonly<ModelSpec>,
  head: NonNullable<ModelSpec['raySpec']>['headNode'],
): void {
  if (spec.raySpec !== undefined)
    throw new Error(`VllmRayCluster ${spec.name}: options.raySpec: give the head node as the \`head\` prop`);
  requireValidModel('VllmRayCluster', release, namespace, { ...spec, raySpec: { enabled: true, headNode: head } });
  const name = rayClusterNameMessage(release, spec.name);
  if (name) throw new Error(`VllmRayCluster ${spec.name}: name: ${name}`);
}

function requireValidModel(
  kind: string,
  release: string,
  namespace: string | undefined,
  spec: Readonly<ModelSpec>,
): void {
  requireReleaseAndNamespace(kind, release, namespace);
  requireDnsLabel(kind, 'name', spec.name);
  const construct = `${kind} ${spec.name}`;
  const serviceName = engineServiceNameMessage(release, spec.name);
  if (serviceName) throw new Error(`${construct}: name: ${serviceName}`);
  requireNoErrors(construct, engineProblems(spec));
}
