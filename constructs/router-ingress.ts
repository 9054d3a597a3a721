/**
 * `RouterIngress`: `routerSpec.ingress` → Ingress (networking.k8s.io/v1) `<release>-ingress-router`, as
 * production-stack renders it: labelled with `routerSpec.labels` only, one rule per host, every path to the router
 * Service's port, TLS hosts with their Secret.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import { ROUTER_DEFAULTS } from './defaults.js';
import type { RouterBackend, RouterObjectProps } from './router-object.js';
import { nonEmpty } from './workload.js';
import { requireReleaseAndNamespace } from './invariants.js';

/** A path under a host that reaches the router. */
export interface RouterIngressPath {
  /** A URL path, starting with `/`. */
  readonly path: string;
  readonly pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
}

/** A host and the paths under it that reach the router. */
export interface RouterIngressHost {
  /** The host name; `''` matches every host. */
  readonly host: string;
  /** At least one. */
  readonly paths: readonly RouterIngressPath[];
}

/** TLS for `hosts`, its certificate in Secret `secretName`. */
export interface RouterIngressTls {
  /** @default - the Ingress controller's default host */
  readonly hosts?: readonly string[];
  readonly secretName: string;
}

export interface RouterIngressProps extends RouterObjectProps {
  /** The router Service. */
  readonly service: RouterBackend;
  /** `spec.ingressClassName`. @default - none (the cluster's default IngressClass) */
  readonly className?: string;
  /** @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** One rule per host. @default ROUTER_DEFAULTS.ingressHosts (production-stack's: vllm-router.local, Prefix /) */
  readonly hosts?: readonly RouterIngressHost[];
  /** @default - no TLS */
  readonly tls?: readonly RouterIngressTls[];
}

export class RouterIngress extends Construct {
  public readonly ingress: k8s.KubeIngress;

  constructor(scope: Construct, id: string, props: RouterIngressProps) {
    super(scope, id);
    requireReleaseAndNamespace('RouterIngress', props.release, props.namespace);
    const hosts = props.hosts ?? ROUTER_DEFAULTS.ingressHosts;
    if (hosts.length === 0) throw new Error('RouterIngress: hosts is empty; an Ingress needs at least one rule');
    for (const h of hosts) {
      if (h.paths.length === 0) throw new Error(`RouterIngress: host ${JSON.stringify(h.host)} has no paths`);
    }
    const backend: k8s.IngressBackend = {
      service: { name: props.service.name, port: { number: props.service.port } },
    };
    this.ingress = new k8s.KubeIngress(this, 'Resource', {
      metadata: {
        name: names.routerIngressName(props.release),
        namespace: props.namespace,
        labels: nonEmpty({ ...(props.labels ?? ROUTER_DEFAULTS.labels) }),
        annotations: nonEmpty({ ...props.annotations }),
      },
      spec: {
        ingressClassName: props.className || undefined,
        tls: props.tls?.length
          ? props.tls.map((t) => ({ hosts: t.hosts ? [...t.hosts] : undefined, secretName: t.secretName }))
          : undefined,
        rules: hosts.map((h) => ({
          host: h.host || undefined,
          http: { paths: h.paths.map((p) => ({ path: p.path, pathType: p.pathType, backend })) },
        })),
      },
    });
  }
}
