/** Defaults of the LMCache connector's settings (`lmcacheConfig`) that the values schema leaves unset. */

/** The connector's kv_role when `lmcacheConfig.kvRole` is not set. */
export const DEFAULT_KV_ROLE = 'kv_both';
/**
 * `LMCACHE_LOG_LEVEL` when `lmcacheConfig.logLevel` is not set: on engines, and on the router, whose schema
 * `default` (`routerSpec.lmcacheConfig.logLevel`) is filled in from here by `schema/schema.ts`.
 */
export const DEFAULT_LMCACHE_LOG_LEVEL = 'INFO';
