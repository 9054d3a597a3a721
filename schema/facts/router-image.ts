/**
 * The router image the manifests deploy, and what pdstack knows about production-stack's router images.
 *
 * pdstack-router's image is built from `router/Dockerfile` and pushed by `.github/workflows/release.yml` under
 * `ROUTER_IMAGE_REPOSITORY`, tagged with the package version (`version` of package.json, read by schema/paths.ts;
 * `ROUTER_IMAGE` in schema/schema.ts pairs the two), so a release tag, the npm packages and the image agree. It is
 * the default of `routerSpec.repository`/`routerSpec.tag`.
 */

/** Registry and name of pdstack-router's image: defined here only. */
export const ROUTER_IMAGE_REPOSITORY = 'ghcr.io/pdstack/pdstack-router';

/** Repositories of production-stack's Python router (`vllm_router`): Docker Hub and GHCR (reference §4). */
export const PRODUCTION_STACK_ROUTER_REPOSITORIES: ReadonlySet<string> = new Set([
  'lmcache/lmstack-router',
  'ghcr.io/vllm-project/production-stack/router',
]);

/** What a production-stack router image gives a P/D deployment, in pdstack-router's terms. */
export const PRODUCTION_STACK_ROUTER_LIMITS =
  "production-stack's Python router: one prefill and one decode endpoint (no balancing over replicas), deleted pods " +
  'kept as endpoints, engine errors answered as 200';

/**
 * Tags of production-stack's router images that predate a flag the chart passes. `lmcache/lmstack-router:pd` and
 * `:pd-05-26` were pushed by hand for the P/D tutorial in May 2025; `vllm_router` gained
 * `--k8s-service-discovery-type` in July 2025, and the chart passes it whenever `serviceDiscovery` is `k8s`:
 * argparse rejects it and the pod exits at start.
 */
export const PRODUCTION_STACK_TAGS_WITHOUT_K8S_DISCOVERY_TYPE: ReadonlyMap<string, readonly string[]> = new Map([
  ['lmcache/lmstack-router', ['pd', 'pd-05-26']],
]);

/**
 * The uid pdstack-router's image runs as: `USER node` in router/Dockerfile, uid 1000 in the `node:20-slim` base.
 * The router's default security context names it, because `runAsNonRoot` cannot check a user given by name.
 */
export const ROUTER_IMAGE_UID = 1000;
