/**
 * What makes an engine a P/D (disaggregated prefill) engine, and which KV role each NIXL side plays. The constructs
 * render a P/D engine's NIXL env, `--kv-transfer-config` and hostIPC/hostPID by `isPdEngine`; the checks of meaning
 * find senders, receivers and their peers by it.
 *
 * production-stack keys its P/D rendering on `enablePD` being truthy (NIXL env, hostIPC/hostPID), inside LMCache's
 * `enabled` for the env; pdstack renders LMCache only when `enabled`, so a P/D engine is one with both. (Its chart
 * also picked the NIXL form of `--kv-transfer-config` when the key `enablePD` was merely present, even `false`;
 * pdstack does not: `enablePD: false` is not P/D.)
 */

/** The `lmcacheConfig` keys the predicate reads (structural, so this layer needs no generated types). */
export interface PdSwitches {
  readonly enabled?: boolean;
  readonly enablePD?: boolean;
  readonly pdstackHostIpcPid?: boolean;
}

/** Whether an engine with this `lmcacheConfig` takes part in disaggregated prefill over NIXL. */
export const isPdEngine = (lmcacheConfig: Readonly<PdSwitches> | undefined): boolean =>
  lmcacheConfig?.enabled === true && lmcacheConfig.enablePD === true;

/**
 * Whether a P/D engine's pod shares the node's IPC and PID namespaces (hostIPC, hostPID): what UCX's CUDA IPC
 * transport needs to map the peer pod's GPU memory. On unless `pdstackHostIpcPid: false` (a pdstack opt-out for
 * NIXL over transports that need neither: TCP, RDMA).
 */
export const sharesHostIpcPid = (lmcacheConfig: Readonly<PdSwitches> | undefined): boolean =>
  isPdEngine(lmcacheConfig) && lmcacheConfig?.pdstackHostIpcPid !== false;

/** The NIXL sides: the sender runs prefill, the receiver decode. */
export type NixlRole = 'sender' | 'receiver';

/** The connector's kv_role each NIXL side must have: a sender produces the KV cache, a receiver consumes it. */
export const KV_ROLE_OF_NIXL_ROLE = {
  sender: 'kv_producer',
  receiver: 'kv_consumer',
} as const satisfies Readonly<Record<NixlRole, string>>;

/**
 * Whether an engine answers a request on its own, so it may be an endpoint of a Gateway API Inference Extension
 * InferencePool (constructs/inference-pool.ts): every engine but a P/D prefill engine (NIXL sender), the first step
 * of the router's P/D path, which pushes every prompt's KV cache to its decode peer.
 */
export const servesWholeRequests = (lmcacheConfig: Readonly<PdSwitches & { nixlRole?: string }> | undefined): boolean =>
  !(isPdEngine(lmcacheConfig) && lmcacheConfig?.nixlRole === 'sender');
