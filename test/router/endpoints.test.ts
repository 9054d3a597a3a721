/** `/v1/models`, `/engines`, `/version`, `/health`, `/metrics` (P/D requests counted) and the `--log-stats` block. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopAll } from '../sim/processes.js';
import { MODEL, type PdStack, eventually, pdStack, postJson } from './fixtures.js';

let stack: PdStack;
beforeAll(async () => {
  stack = await pdStack({
    p: 1,
    d: 1,
    extraArgs: ['--log-stats', '--log-stats-interval', '1', '--engine-stats-interval', '1'],
  });
}, 30_000);
afterAll(stopAll, 30_000);

const get = async (path: string) => {
  const r = await fetch(stack.router.url + path);
  return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
};

describe('router endpoints', { timeout: 30_000 }, () => {
  it('/v1/models lists each model once with the vLLM card fields', async () => {
    const r = JSON.parse((await get('/v1/models')).text) as { object: string; data: Record<string, unknown>[] };
    expect(r.object).toBe('list');
    expect(r.data).toHaveLength(1);
    expect(r.data[0]).toMatchObject({ id: MODEL, object: 'model', owned_by: 'vllm', root: null, parent: null });
    expect(typeof r.data[0]!.created).toBe('number');
  });

  it('/engines, /version, /health', async () => {
    const engines = JSON.parse((await get('/engines')).text) as {
      engine_id: string;
      serving_models: string[];
      created: number;
    }[];
    expect(engines).toHaveLength(2);
    for (const e of engines) {
      expect(e.serving_models).toEqual([MODEL]);
      expect(e.engine_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(JSON.parse((await get('/version')).text)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'healthy' });
  });

  it('/metrics counts P/D requests on both engines with the §3.11 names', async () => {
    for (let i = 0; i < 3; i++) {
      expect(
        (await postJson(`${stack.router.url}/v1/completions`, { model: MODEL, prompt: 'x', max_tokens: 2 })).status,
      ).toBe(200);
    }
    const m = await get('/metrics');
    expect(m.type).toMatch(/^text\/plain/);
    const p = stack.prefills[0]!.url;
    const d = stack.decodes[0]!.url;
    const value = (re: string) => Number(new RegExp(`^${re} (\\S+)$`, 'm').exec(m.text)?.[1]);
    expect(value(`vllm:num_incoming_requests_total\\{model="${MODEL}"\\}`)).toBe(3);
    for (const server of [p, d]) {
      expect(
        value(`vllm:request_latency_seconds_count\\{server="${server}",model="${MODEL}",status="success"\\}`),
      ).toBe(3);
      expect(value(`vllm:healthy_pods_total\\{server="${server}"\\}`)).toBe(1);
      expect(value(`vllm:current_qps\\{server="${server}"\\}`)).toBeGreaterThan(0);
      expect(value(`vllm:num_requests_running\\{server="${server}"\\}`)).toBe(0);
    }
    expect(value(`vllm:output_tokens_total\\{server="${d}",model="${MODEL}"\\}`)).toBe(6);
    for (const name of [
      'vllm:avg_decoding_length',
      'vllm:num_prefill_requests',
      'vllm:num_decoding_requests',
      'vllm:avg_latency',
      'vllm:avg_itl',
      'vllm:num_requests_swapped',
      'vllm:gpu_prefix_cache_hit_rate',
      'vllm:request_errors_total',
      'router_cpu_usage_percent',
      'router_memory_usage_percent',
      'router_disk_usage_percent',
      'process_resident_memory_bytes',
    ]) {
      expect(m.text).toContain(`# TYPE ${name}`);
    }
  });

  it('--log-stats prints the vllm_router block for each engine', async () => {
    await eventually(async () => /Request Stats: QPS: \d+\.\d\d, Avg Latency: /.test(stack.router.stdout()));
    const out = stack.router.stdout();
    const block = out.slice(out.lastIndexOf('='.repeat(50), out.lastIndexOf('-'.repeat(50))));
    expect(block).toContain(
      `Server: ${stack.prefills[0]!.url}\nModels:\n  - ${MODEL}\n Engine Stats: Running Requests: `,
    );
    expect(out).toMatch(
      / Request Stats: QPS: \d+\.\d\d, Avg Latency: -?\d+\.\d\d, Avg ITL: -1, Prefill Requests: \d+, Decoding Requests: \d+, Swapped Requests: 0, Finished: \d+, Uptime: \d+\.\d\d sec\n-{50}\n/,
    );
    expect(out).toMatch(/\] INFO: \n={50}\nServer: /);
  });
});
