/**
 * `RouterHttpRoute`: one `routerSpec.route.NAME` → Gateway API HTTPRoute `<release>-router` (`main`) or
 * `<release>-router-NAME`, as production-stack renders it: `routerSpec.labels` plus the route's labels, the route's
 * `additionalRules` first, then its own rule: to the router Service (with its `filters` and `matches`), or, with
 * `httpsRedirect`, a 301 redirect to https instead. production-stack's other route kinds get no construct: pdstack
 * refuses them, each for its reason (schema/facts/route-kinds.ts).
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import {
  HTTP_ROUTE_API_VERSIONS,
  isHttpRouteApiVersion,
  type HttpRouteApiVersion,
} from '../schema/facts/route-kinds.js';
import { ROUTER_DEFAULTS } from './defaults.js';
import type { RouterBackend, RouterObjectProps } from './router-object.js';
import { nonEmpty } from './workload.js';
import { requireDnsLabel, requireReleaseAndNamespace } from './invariants.js';

type JsonObject = Readonly<Record<string, unknown>>;

/** The rule production-stack's `httpsRedirect` renders: every request answered with a 301 to its https URL. */
export const HTTPS_REDIRECT_RULE = {
  filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }],
} as const;

export interface RouterHttpRouteProps extends RouterObjectProps {
  /** The route's key in `routerSpec.route`: `main` names the route `<release>-router`, any other `<release>-router-NAME`. */
  readonly route: string;
  /** The router Service the route's own rule sends requests to. */
  readonly service: RouterBackend;
  /** @default ROUTER_DEFAULTS.routeApiVersion ('gateway.networking.k8s.io/v1') */
  readonly apiVersion?: HttpRouteApiVersion;
  /** @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** `spec.parentRefs`: the Gateways the route attaches to. @default - none */
  readonly parentRefs?: readonly JsonObject[];
  /** `spec.hostnames`. @default - none (every hostname of the parent listeners) */
  readonly hostnames?: readonly string[];
  /** Rules before the route's own one, verbatim. @default - none */
  readonly additionalRules?: readonly JsonObject[];
  /** The route's own rule redirects to https (301) instead of reaching the router. @default false */
  readonly httpsRedirect?: boolean;
  /** `matches` of the route's own rule. @default ROUTER_DEFAULTS.routeMatches (production-stack's: path prefix /) */
  readonly matches?: readonly JsonObject[];
  /** `filters` of the route's own rule. @default - none */
  readonly filters?: readonly JsonObject[];
}

export class RouterHttpRoute extends Construct {
  public readonly route: ApiObject;

  constructor(scope: Construct, id: string, props: RouterHttpRouteProps) {
    super(scope, id);
    requireReleaseAndNamespace('RouterHttpRoute', props.release, props.namespace);
    requireDnsLabel('RouterHttpRoute', 'route', props.route);
    const apiVersion = props.apiVersion ?? ROUTER_DEFAULTS.routeApiVersion;
    if (!isHttpRouteApiVersion(apiVersion))
      throw new Error(
        `RouterHttpRoute: HTTPRoute is served as ${HTTP_ROUTE_API_VERSIONS.join(' or ')}, not ${apiVersion}`,
      );
    const matches = props.httpsRedirect ? props.matches : (props.matches ?? ROUTER_DEFAULTS.routeMatches);
    if (props.httpsRedirect && (props.matches?.length || props.filters?.length))
      throw new Error(
        'RouterHttpRoute: httpsRedirect replaces the rule to the router, so its matches and filters go unused',
      );
    const own = props.httpsRedirect
      ? structuredClone(HTTPS_REDIRECT_RULE)
      : {
          backendRefs: [{ name: props.service.name, port: props.service.port }],
          filters: props.filters?.length ? props.filters : undefined,
          matches: matches?.length ? matches : undefined,
        };
    this.route = new ApiObject(this, 'Resource', {
      apiVersion,
      kind: 'HTTPRoute',
      metadata: {
        name: names.routerRouteName(props.release, props.route),
        namespace: props.namespace,
        labels: nonEmpty({ ...(props.labels ?? ROUTER_DEFAULTS.labels) }),
        annotations: nonEmpty({ ...props.annotations }),
      },
      spec: {
        parentRefs: props.parentRefs?.length ? props.parentRefs : undefined,
        hostnames: props.hostnames?.length ? props.hostnames : undefined,
        rules: [...(props.additionalRules ?? []), own],
      },
    });
  }
}
