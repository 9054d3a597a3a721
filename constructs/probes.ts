/**
 * Probes of engines and router. The per-kind defaults below are production-stack's values.yaml defaults
 * (reference §1.4, §1.10); a probe given in the values is merged over them field by field, as Helm merges
 * values. One pdstack fix: the engine probes' default port is the engine's `containerPort` (production-stack
 * used a literal 8000, which broke probes whenever `containerPort` changed).
 */
import { k8s } from 'cdk8s-plus-28';
import type { Probe } from '../schema/values.generated.js';
import { fromUser } from './kube-json.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

interface ProbeTiming {
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly failureThreshold: number;
}

/** Engine probe timings: model loading takes minutes, so the startup probe allows 15 s + 60 × 10 s. */
export const ENGINE_PROBE_DEFAULTS: Readonly<Record<ProbeKind, ProbeTiming>> = {
  startup: { initialDelaySeconds: 15, periodSeconds: 10, failureThreshold: 60 },
  liveness: { initialDelaySeconds: 15, periodSeconds: 10, failureThreshold: 3 },
  readiness: { initialDelaySeconds: 15, periodSeconds: 5, failureThreshold: 3 },
};

/** Router probe timings. */
export const ROUTER_PROBE_DEFAULTS: Readonly<Record<ProbeKind, ProbeTiming>> = {
  startup: { initialDelaySeconds: 5, periodSeconds: 5, failureThreshold: 3 },
  liveness: { initialDelaySeconds: 30, periodSeconds: 5, failureThreshold: 3 },
  readiness: { initialDelaySeconds: 30, periodSeconds: 5, failureThreshold: 3 },
};

/** Both engines and router expose their health on this path. */
export const HEALTH_PATH = '/health';

/** `defaults` + `given` (field by field; a given exec/tcpSocket/grpc handler replaces the default HTTP GET). */
export function probe(timing: ProbeTiming, port: number | string, given: Readonly<Probe> | undefined): k8s.Probe {
  const g = given ?? {};
  const ownHandler = g.exec !== undefined || g.tcpSocket !== undefined || g.grpc !== undefined;
  const merged: Record<string, unknown> = { ...timing, ...g };
  if (!ownHandler) merged.httpGet = { path: HEALTH_PATH, port, ...(g.httpGet ?? {}) };
  return fromUser<k8s.Probe>(merged);
}
