/** Shared set-ups of the router tests: simulators plus a router, all real processes on 127.0.0.1. */
import { waitFor } from '../k8s/helpers.js';
import { type EngineSim, type SimOptions, type Spawned, spawnEngineSim, spawnRouter } from '../sim/processes.js';

export const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

export interface PdStack {
  readonly router: Spawned;
  readonly prefills: EngineSim[];
  readonly decodes: EngineSim[];
}

/**
 * Router arguments for a static P/D set-up on `127.0.0.1:0`: the prefill URLs (label `llama-prefill`) then the decode
 * URLs (label `llama-decode`), all serving MODEL; `extra` is appended last.
 */
export function pdArgs(
  prefillUrls: readonly string[],
  decodeUrls: readonly string[],
  extra: readonly string[] = [],
  logic: 'disaggregated_prefill' | 'disaggregated_prefill_orchestrated' = 'disaggregated_prefill',
): string[] {
  const urls = [...prefillUrls, ...decodeUrls];
  return [
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--service-discovery',
    'static',
    '--static-backends',
    urls.join(','),
    '--static-models',
    urls.map(() => MODEL).join(','),
    '--static-model-labels',
    [...prefillUrls.map(() => 'llama-prefill'), ...decodeUrls.map(() => 'llama-decode')].join(','),
    '--routing-logic',
    logic,
    '--prefill-model-labels',
    'llama-prefill',
    '--decode-model-labels',
    'llama-decode',
    ...extra,
  ];
}

/** `p` prefill and `d` decode simulators (labels `llama-prefill` / `llama-decode`) behind one router. */
export async function pdStack(opts: {
  p: number;
  d: number;
  logic?: 'disaggregated_prefill' | 'disaggregated_prefill_orchestrated';
  sim?: Partial<SimOptions>;
  extraArgs?: string[];
}): Promise<PdStack> {
  const sim = { models: [MODEL], ...opts.sim };
  const prefills = await Promise.all(Array.from({ length: opts.p }, () => spawnEngineSim(sim)));
  const decodes = await Promise.all(Array.from({ length: opts.d }, () => spawnEngineSim(sim)));
  const router = await spawnRouter(
    pdArgs(
      prefills.map((s) => s.url),
      decodes.map((s) => s.url),
      opts.extraArgs,
      opts.logic,
    ),
  );
  return { router, prefills, decodes };
}

/** Inference requests a simulator recorded (control and scrape calls are not recorded). */
export async function inference(sim: EngineSim): Promise<Awaited<ReturnType<EngineSim['requests']>>> {
  return (await sim.requests()).filter((r) => r.path.startsWith('/v1/') && r.method === 'POST');
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

/** Polls `check` every 100 ms until it returns true (bounded: `timeoutMs`); `waitFor` of the k8s tests does the polling. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  await waitFor('condition', check, timeoutMs, 100);
}
