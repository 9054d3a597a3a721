/**
 * vLLM's push-mode NIXL connector (`NixlPushConnector`, vLLM PR #35264): decode registers its freshly allocated
 * blocks with prefill, which WRITEs the KV into them. Decode needs only the prefill engine's identity, not anything
 * computed by the prefill, so both legs can be sent at once (`--pd-dispatch concurrent`), as vLLM's push proxy demo
 * does (examples/disaggregated/disaggregated_serving/disagg_proxy_pushconnector_demo.py, PR #55088).
 *
 * Decode's `kv_transfer_params` in push mode (vLLM `NixlPushConnectorScheduler.update_state_after_alloc`):
 * `do_remote_prefill: true`, the prefill engine's `remote_engine_id`, `remote_host` and `remote_port` (its NIXL side
 * channel) and `tp_size` (all four required), `pp_size` (read with default 1), no `remote_block_ids`; the demo adds
 * `remote_request_id` (the shared X-Request-Id) and a `transfer_id` both legs carry. The prefill engine pairs the
 * registration with its own request by request id (the X-Request-Id both legs get), stripped of vLLM's random suffix.
 *
 * The demo takes the prefill engine's coordinates from its command line (one prefill engine). The router learns them
 * per prefill engine instead, from that engine's own answers: its first request runs serially (its answer's
 * `kv_transfer_params` name the engine id, side-channel port, TP and PP sizes), later ones concurrently; every answer
 * refreshes them. `remote_host` is the engine's own address, never one an answer names (as in orchestrated mode).
 */
import { LruMap } from '../routing/logics.js';

/** What decode needs of a prefill engine to register with it. */
export interface PushCoords {
  readonly engineId: string;
  readonly port: number;
  readonly tpSize: number;
  readonly ppSize?: number;
  /** The engine's last answer reported `usage.prompt_tokens_details.cached_tokens`. */
  readonly reportsCachedTokens: boolean;
}

/** Prefill engines remembered (by URL): more than any deployment has, so discovery churn cannot grow it. */
const MAX_ENGINES = 4096;

export class PushCoordsCache {
  private readonly byUrl = new LruMap<string, PushCoords>(MAX_ENGINES);

  get(url: string): PushCoords | undefined {
    return this.byUrl.get(url);
  }

  /**
   * Records what a prefill answer's checked `kv_transfer_params` (pd.ts decodeKvParams) say of its engine; an answer
   * without `tp_size` (decode would fail without it) forgets the engine, so its requests stay serial.
   */
  learn(url: string, kv: Readonly<Record<string, unknown>>, reportsCachedTokens: boolean): void {
    const { remote_engine_id: engineId, remote_port: port, tp_size: tpSize, pp_size: ppSize } = kv;
    if (typeof engineId !== 'string' || typeof port !== 'number' || typeof tpSize !== 'number') return;
    this.byUrl.set(url, {
      engineId,
      port,
      tpSize,
      ...(typeof ppSize === 'number' ? { ppSize } : {}),
      reportsCachedTokens,
    });
  }
}

/** Decode's `kv_transfer_params` for a push-mode dispatch to the prefill engine at `host`. */
export function pushDecodeParams(
  coords: PushCoords,
  host: string,
  requestId: string,
  transferId: string,
): Record<string, unknown> {
  return {
    do_remote_prefill: true,
    do_remote_decode: false,
    remote_engine_id: coords.engineId,
    remote_host: host,
    remote_port: coords.port,
    tp_size: coords.tpSize,
    ...(coords.ppSize !== undefined ? { pp_size: coords.ppSize } : {}),
    remote_request_id: requestId,
    transfer_id: transferId,
  };
}
