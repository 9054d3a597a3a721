/**
 * `VLLM_API_KEY` on the router's own routes. vLLM checks its key on `/v1` paths only, so an engine behind the router
 * would let anyone tokenize, score or rerank, or (sleep mode) put every engine to sleep. With the key set, every route
 * needs `Authorization: Bearer $VLLM_API_KEY` (else 401, nothing forwarded), unknown paths included; only the
 * probe and scrape paths stay open unless `--api-key-for-health-and-metrics` closes them too.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { RouterError } from './errors.js';

/** Paths that answer without the key by default: Kubernetes probes, Prometheus scrapes, the version. */
export const OPEN_PATHS: readonly string[] = ['/health', '/metrics', '/version'];

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Whether an `Authorization` header carries the key; undefined without a key (everything is allowed). */
export function apiKeyCheck(apiKey: string | undefined): ((authorization: string | undefined) => boolean) | undefined {
  if (!apiKey) return undefined;
  // compared as SHA-256 digests: timingSafeEqual needs equal lengths, and the time taken then tells nothing of the key
  const expected = sha256(`Bearer ${apiKey}`);
  return (given) => given !== undefined && timingSafeEqual(sha256(given), expected);
}

/** Registers the check (first of all hooks, before the body is read); a no-op without a key. */
export function requireApiKey(app: FastifyInstance, apiKey: string | undefined, openPaths: readonly string[]): void {
  const authorized = apiKeyCheck(apiKey);
  if (!authorized) return;
  const open = new Set(openPaths);
  app.addHook('onRequest', (request, _reply, done) => {
    if (open.has(request.routeOptions.url ?? '') || authorized(request.headers.authorization)) return done();
    done(
      new RouterError(401, 'authentication_error', 'Invalid or missing API key (Authorization: Bearer $VLLM_API_KEY).'),
    );
  });
}
