/**
 * Static service discovery (`--service-discovery static`): one endpoint per (backend URL, model) pair, model label
 * from `--static-model-labels` (default `default`), model cards synthesised without calling the engines.
 *
 * With `--static-backend-health-checks`, every interval each pair gets a tiny real request for its model type
 * (as vllm_router does); pairs that fail are hidden from `endpoints()` until a later check succeeds. Pairs put to
 * sleep through `/sleep` are not checked (a sleeping engine refuses inference) and stay listed, so `/wake_up` finds
 * them; the sleep state lives in memory only.
 */
import { randomUUID } from 'node:crypto';
import { FormData, request } from 'undici';
import type { StaticBackend, StaticDiscoveryOptions } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Endpoint, ServiceDiscovery } from './types.js';

interface Probe {
  readonly path: string;
  readonly body: () => { body: string | FormData; contentType?: string };
}

const json = (o: unknown) => () => ({ body: JSON.stringify(o), contentType: 'application/json' });

/** A 0.1 s silent 16 kHz mono PCM WAV, for transcription checks. */
function silentWav(): Uint8Array {
  const samples = 1600;
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(16000, 24);
  buf.writeUInt32LE(32000, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(samples * 2, 40);
  return new Uint8Array(buf);
}

function probeFor(backend: StaticBackend): Probe {
  const model = backend.model;
  const chat = { model, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 3 };
  switch (backend.modelType) {
    case 'completion':
      return { path: '/v1/completions', body: json({ model, prompt: 'Hello', max_tokens: 3 }) };
    case 'embeddings':
      return { path: '/v1/embeddings', body: json({ model, input: 'Hello' }) };
    case 'rerank':
      return { path: '/v1/rerank', body: json({ model, query: 'Hello', documents: ['Hello'] }) };
    case 'score':
      return { path: '/v1/score', body: json({ model, text_1: 'Hello', text_2: 'Hello' }) };
    case 'messages':
      return {
        path: '/v1/messages',
        body: json({ model, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 3 }),
      };
    case 'transcription':
      return {
        path: '/v1/audio/transcriptions',
        body: () => {
          const form = new FormData();
          form.set('model', model);
          form.set('file', new Blob([silentWav()], { type: 'audio/wav' }), 'silence.wav');
          return { body: form };
        },
      };
    default: // chat, vision
      return { path: '/v1/chat/completions', body: json(chat) };
  }
}

export class StaticDiscovery implements ServiceDiscovery {
  private all: readonly Endpoint[];
  private current: readonly Endpoint[];
  private readonly known: ReadonlySet<string>;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly options: StaticDiscoveryOptions,
    private readonly log: Logger,
  ) {
    const now = Date.now() / 1000;
    this.all = options.backends.map((b) => ({
      id: randomUUID(),
      url: b.url,
      modelNames: [b.model],
      modelLabel: b.label,
      addedTimestamp: now,
      sleep: false,
      modelInfo: {
        [b.model]: {
          id: b.model,
          object: 'model',
          created: Math.floor(now),
          owned_by: 'vllm',
          root: null,
          parent: null,
        },
      },
    }));
    this.current = this.all;
    this.known = new Set([...options.backends.map((b) => b.model), ...options.aliases.keys()]);
  }

  async start(): Promise<void> {
    if (!this.options.healthChecks) return;
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.healthCheckIntervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  endpoints(): readonly Endpoint[] {
    return this.current;
  }

  health(): { healthy: boolean; reason?: string } {
    return { healthy: true };
  }

  hasEverSeenModel(model: string): boolean {
    return this.known.has(model);
  }

  /** Marks every pair of the engine's URL (one engine may serve several of the static models). */
  async setSleeping(endpoint: Endpoint, sleeping: boolean): Promise<void> {
    const marked = new Map(this.all.map((e) => [e, e.url === endpoint.url ? { ...e, sleep: sleeping } : e]));
    this.all = [...marked.values()];
    this.current = this.current.map((e) => marked.get(e)!);
  }

  private async probe(endpoint: Endpoint, backend: StaticBackend): Promise<boolean> {
    const probe = probeFor(backend);
    const { body, contentType } = probe.body();
    try {
      const res = await request(endpoint.url + probe.path, {
        method: 'POST',
        body,
        headers: contentType ? { 'content-type': contentType } : {},
        signal: AbortSignal.timeout(this.options.healthCheckTimeoutSeconds * 1000),
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300;
    } catch {
      return false;
    }
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const results = await Promise.all(this.all.map((e, i) => e.sleep || this.probe(e, this.options.backends[i]!)));
      // an engine put to sleep while the checks ran may have failed its probe: it stays listed as well
      const passed = this.all.map((e, i) => e.sleep || results[i] === true);
      const next = this.all.filter((_, i) => passed[i]);
      passed.forEach((ok, i) => {
        const e = this.all[i]!;
        const was = this.current.includes(e);
        if (!ok && was) this.log.warn(`Static backend ${e.url} (${e.modelNames[0]}) failed its health check; hidden`);
        if (ok && !was) this.log.info(`Static backend ${e.url} (${e.modelNames[0]}) is healthy`);
      });
      this.current = next;
    } finally {
      this.checking = false;
    }
  }
}
