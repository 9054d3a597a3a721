/**
 * Probes of engines and router. The per-kind defaults below are production-stack's values.yaml defaults
 * (reference §1.4, §1.10); a probe given in the values is merged over them field by field, as Helm merges
 * values. One pdstack fix: the engine probes' default port is the engine's `containerPort` (production-stack
 * used a literal 8000, which broke probes whenever `containerPort` changed).
 */
import { k8s } from 'cdk8s-plus-28';
import { intOrString } from './kube-json.js';

/**
 * A probe's fields that replace the default's (an HTTP GET of `HEALTH_PATH` on the container's port, the kind's
 * timings); an `exec`, `tcpSocket` or `grpc` handler replaces the HTTP GET.
 */
export interface ProbeOverrides {
  /** @default - the kind's, e.g. ENGINE_PROBE_DEFAULTS.startup */
  readonly initialDelaySeconds?: number;
  /** @default - the kind's */
  readonly periodSeconds?: number;
  /** @default - the kind's */
  readonly failureThreshold?: number;
  /** @default - Kubernetes' (1) */
  readonly successThreshold?: number;
  /** @default - Kubernetes' (1 s) */
  readonly timeoutSeconds?: number;
  /** Fields of the HTTP GET that replace the default's (path `HEALTH_PATH`, the container's port). @default - none */
  readonly httpGet?: Partial<k8s.HttpGetAction>;
  /** @default - none: the HTTP GET */
  readonly exec?: k8s.ExecAction;
  /** @default - none: the HTTP GET */
  readonly tcpSocket?: k8s.TcpSocketAction;
  /** @default - none: the HTTP GET */
  readonly grpc?: k8s.GrpcAction;
}

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
export function probe(timing: ProbeTiming, port: number | string, given: ProbeOverrides | undefined): k8s.Probe {
  const g = given ?? {};
  const ownHandler = g.exec !== undefined || g.tcpSocket !== undefined || g.grpc !== undefined;
  const { httpGet: givenGet, ...rest } = g;
  const httpGet: k8s.HttpGetAction | undefined = ownHandler
    ? (givenGet as k8s.HttpGetAction | undefined)
    : { path: HEALTH_PATH, port: intOrString(port), ...givenGet };
  return { ...timing, ...rest, httpGet };
}
