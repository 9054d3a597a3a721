/**
 * The router's routing logics (vllm_router's `--routing-logic` choices) and which of them split a request into
 * prefill and decode. The values schema, the checks of meaning and the router take them from here.
 */

export const ROUTING_LOGICS = [
  'roundrobin',
  'session',
  'kvaware',
  'prefixaware',
  'disaggregated_prefill',
  'disaggregated_prefill_orchestrated',
] as const;

export type RoutingLogic = (typeof ROUTING_LOGICS)[number];

/** vllm_router's logics that pdstack-router does not run (it refuses them at start). */
export const UNSUPPORTED_ROUTING_LOGICS = ['kvaware'] as const satisfies readonly RoutingLogic[];

export const isUnsupportedRoutingLogic = (logic: unknown): logic is (typeof UNSUPPORTED_ROUTING_LOGICS)[number] =>
  (UNSUPPORTED_ROUTING_LOGICS as readonly unknown[]).includes(logic);

export type SupportedRoutingLogic = Exclude<RoutingLogic, (typeof UNSUPPORTED_ROUTING_LOGICS)[number]>;

/** The logics pdstack-router runs, in vllm_router's order: the values schema's `routerSpec.routingLogic` enum. */
export const SUPPORTED_ROUTING_LOGICS: readonly SupportedRoutingLogic[] = ROUTING_LOGICS.filter(
  (logic): logic is SupportedRoutingLogic => !isUnsupportedRoutingLogic(logic),
);

/** The logics that send a request to a prefill engine, then to a decode engine. */
export const PD_ROUTING_LOGICS = ['disaggregated_prefill', 'disaggregated_prefill_orchestrated'] as const;

export type PdRoutingLogic = (typeof PD_ROUTING_LOGICS)[number];

/** Whether `logic` splits requests into prefill and decode (P/D). */
export function isPdLogic(logic: string | undefined): logic is PdRoutingLogic {
  return (PD_ROUTING_LOGICS as readonly (string | undefined)[]).includes(logic);
}
