/**
 * `lmcacheConfig` → `--kv-transfer-config` and the `LMCACHE_*` env vars (reference §1.7), in production-stack's
 * order and with its values, except that LMCache env vars are rendered only when `lmcacheConfig.enabled`
 * (production-stack rendered most of them even when disabled). `CUDA_VISIBLE_DEVICES` is GPU placement, not
 * LMCache: it is rendered whenever set.
 */
import { DEFAULT_KV_ROLE, DEFAULT_LMCACHE_LOG_LEVEL } from '../schema/facts/lmcache.js';
import { isPdEngine, sharesHostIpcPid } from '../schema/facts/pd-engine.js';
import { usesV0 } from '../schema/facts/vllm.js';
import type { LmcacheConfig } from '../schema/values.generated.js';
import type { LmcacheServerEndpoint } from './cache-server.js';
import type { VllmEngineProps } from './engine-props.js';
/** Transports UCX may use for NIXL: CUDA IPC between pods of one node (hostIPC), then TCP. */
export const PD_UCX_TLS = 'cuda_ipc,cuda_copy,tcp';
/** The same without CUDA IPC, for engines that do not share the node's IPC namespace (`pdstackHostIpcPid: false`). */
export const PD_UCX_TLS_WITHOUT_HOST_IPC = 'cuda_copy,tcp';

/** A plain `name=value` env var; the engine construct adds the `valueFrom` ones. */
export interface PlainEnv {
  readonly name: string;
  readonly value?: string;
  /** `LMCACHE_LMCACHE_INSTANCE_ID` without `instanceId` is the pod name (a fieldRef). */
  readonly fieldRef?: string;
}

const pyBool = (b: boolean | undefined): string => (b ? 'True' : 'False');

/** The `--kv-transfer-config` JSON, exactly as production-stack writes it; `undefined` unless LMCache is enabled. */
export function kvTransferConfig(props: Pick<VllmEngineProps, 'lmcache' | 'vllm'>): string | undefined {
  const c = props.lmcache;
  if (!c?.enabled) return undefined;
  const role = c.kvRole ?? DEFAULT_KV_ROLE;
  if (isPdEngine(c)) {
    // production-stack passes nixlRole as lmcache_rpc_port: LMCache only needs a per-engine unique name there.
    return `{"kv_connector":"LMCacheConnectorV1","kv_role":"${role}","kv_connector_extra_config":{"discard_partial_chunks": false, "lmcache_rpc_port": "${c.nixlRole ?? ''}"}}`;
  }
  if (usesV0({ vllmConfig: props.vllm?.config })) return `{"kv_connector":"LMCacheConnector","kv_role":"${role}"}`;
  return `{"kv_connector":"LMCacheConnectorV1","kv_role":"${role}"}`;
}

/** Whether `cpuOffloadingBufferSize` turns LMCache's local CPU backend on (production-stack: `int(value) > 0`). */
export const cpuOffloadingEnabled = (size: number | string | undefined): boolean =>
  size !== undefined && Math.trunc(Number(size)) > 0;

export interface LmcacheEnvContext {
  /** The router Service the LMCache controller URLs point at. */
  readonly routerServiceName: string;
  /** The release's cache server, when rendered: `LMCACHE_REMOTE_URL` and `LMCACHE_REMOTE_SERDE`. @default - none */
  readonly cacheServer?: LmcacheServerEndpoint;
}

/** The LMCache env vars of one engine, in production-stack's order. */
export function lmcacheEnv(c: Readonly<LmcacheConfig> | undefined, ctx: LmcacheEnvContext): PlainEnv[] {
  if (!c) return [];
  const env: PlainEnv[] = [];
  const add = (name: string, value: string | number | undefined): void => {
    if (value !== undefined) env.push({ name, value: String(value) });
  };
  if (c.enabled) {
    add('LMCACHE_USE_EXPERIMENTAL', 'True');
    add('VLLM_RPC_TIMEOUT', '1000000');
    add('LMCACHE_LOG_LEVEL', c.logLevel ?? DEFAULT_LMCACHE_LOG_LEVEL);
  }
  add('CUDA_VISIBLE_DEVICES', c.cudaVisibleDevices);
  if (!c.enabled) return env;
  if (isPdEngine(c)) {
    add('LMCACHE_LOCAL_CPU', 'False');
    add('LMCACHE_MAX_LOCAL_CPU_SIZE', '0');
    add('LMCACHE_REMOTE_SERDE', 'NULL');
    add('UCX_TLS', sharesHostIpcPid(c) ? PD_UCX_TLS : PD_UCX_TLS_WITHOUT_HOST_IPC);
    if (c.enableNixl !== undefined) add('LMCACHE_ENABLE_NIXL', pyBool(c.enableNixl));
    add('LMCACHE_NIXL_ROLE', c.nixlRole);
    add('LMCACHE_NIXL_RECEIVER_HOST', c.nixlPeerHost);
    add('LMCACHE_NIXL_RECEIVER_PORT', c.nixlPeerPort);
    add('LMCACHE_NIXL_BUFFER_SIZE', c.nixlBufferSize);
    add('LMCACHE_NIXL_BUFFER_DEVICE', c.nixlBufferDevice);
    if (c.nixlEnableGc !== undefined) add('LMCACHE_NIXL_ENABLE_GC', pyBool(c.nixlEnableGc));
  }
  if (cpuOffloadingEnabled(c.cpuOffloadingBufferSize)) {
    add('LMCACHE_LOCAL_CPU', 'True');
    add('LMCACHE_MAX_LOCAL_CPU_SIZE', c.cpuOffloadingBufferSize);
  }
  add('LMCACHE_MAX_LOCAL_DISK_SIZE', c.diskOffloadingBufferSize);
  if (ctx.cacheServer) {
    add('LMCACHE_REMOTE_URL', ctx.cacheServer.url);
    if (ctx.cacheServer.serde !== undefined) {
      // production-stack repeats LMCACHE_REMOTE_SERDE on a P/D engine (NULL, then this); Kubernetes takes the last
      const nullSerde = env.findIndex((e) => e.name === 'LMCACHE_REMOTE_SERDE');
      if (nullSerde >= 0) env.splice(nullSerde, 1);
      add('LMCACHE_REMOTE_SERDE', ctx.cacheServer.serde);
    }
  }
  if (c.enableController !== undefined) add('LMCACHE_ENABLE_CONTROLLER', pyBool(c.enableController));
  if (c.instanceId !== undefined) add('LMCACHE_LMCACHE_INSTANCE_ID', c.instanceId);
  else env.push({ name: 'LMCACHE_LMCACHE_INSTANCE_ID', fieldRef: 'metadata.name' });
  if (c.controllerPort !== undefined)
    add('LMCACHE_CONTROLLER_PULL_URL', `${ctx.routerServiceName}:${c.controllerPort}`);
  if (c.controllerReplyPort !== undefined)
    add('LMCACHE_CONTROLLER_REPLY_URL', `${ctx.routerServiceName}:${c.controllerReplyPort}`);
  add('LMCACHE_LMCACHE_WORKER_PORTS', c.workerPorts);
  add('LMCACHE_P2P_HOST', c.p2pHost);
  add('LMCACHE_P2P_INIT_PORTS', c.p2pInitPorts);
  add('LMCACHE_LMCACHE_WORKER_HEARTBEAT_TIME', c.workerHeartbeatTime);
  return env;
}
