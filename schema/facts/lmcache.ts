/** Defaults of the LMCache connector's settings (`lmcacheConfig`) that the values schema leaves unset. */

/** The connector's kv_role when `lmcacheConfig.kvRole` is not set. */
export const DEFAULT_KV_ROLE = 'kv_both';
/**
 * `LMCACHE_LOG_LEVEL` when `lmcacheConfig.logLevel` is not set: on engines, and on the router, whose schema
 * `default` (`routerSpec.lmcacheConfig.logLevel`) is filled in from here by `schema/schema.ts`.
 */
export const DEFAULT_LMCACHE_LOG_LEVEL = 'INFO';

/** `LMCACHE_REMOTE_URL` of engines using the release's cache server: LMCache's `lm://` protocol to its Service. */
export const lmcacheRemoteUrl = (service: string, port: number): string => `lm://${service}:${port}`;
/**
 * The init-container env var holding the cache server's Service port (production-stack sets it, beside
 * `RELEASE_NAME`, so a wait-for-cache-server init container can reach `$(RELEASE_NAME)-cache-server-service`).
 */
export const CACHE_SERVER_PORT_ENV = 'LMCACHE_SERVER_SERVICE_PORT';

/** LMCache's chunk size (tokens) when `LMCACHE_CHUNK_SIZE` is not set: it keys the KV chunks LMCache moves. */
export const DEFAULT_LMCACHE_CHUNK_SIZE = '256';
