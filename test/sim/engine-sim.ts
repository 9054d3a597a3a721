#!/usr/bin/env node
/**
 * A vLLM-compatible engine simulator for tests and benchmarks (a real process on a loopback address).
 *
 *   node build/test/sim/engine-sim.js --host 127.0.0.1 --port 0 --model NAME [--model NAME2]
 *        [--ttft-ms N] [--itl-ms N] [--tokens N] [--api-key KEY]
 *
 * Prints `engine-sim listening on http://HOST:PORT` when ready; SIGTERM exits cleanly.
 *
 * Serves `GET /v1/models`, `POST /v1/completions` and `/v1/chat/completions` (streaming SSE or JSON with usage;
 * first token after ttft-ms, then one every itl-ms; `max_tokens` honoured, default `--tokens`), `GET /health`,
 * `GET /metrics` (vLLM metric names), and, like vLLM's NixlConnector prefill, answers `kv_transfer_params` when the
 * request asks for `kv_transfer_params.do_remote_decode: true`. The multipart endpoints `POST /v1/audio/transcriptions`
 * (`{"text"}`, or plain text for `response_format=text`) and `POST /v1/images/edits` (`{"created", "data": [{"b64_json"}]}`)
 * need a `model` field and a file part; their record's body is the form as undici 7 parses it (see `FormRecord`).
 *
 * Sleep mode like vLLM's: `POST /sleep[?level=N]` and `POST /wake_up[?tags=..]` (empty 200), `GET /is_sleeping`
 * (`{"is_sleeping": bool}`); while asleep, completions answer 503.
 *
 * Control plane: `GET /sim/requests` (recorded requests, last 10,000), `DELETE /sim/requests`,
 * `POST /sim/config` `{ttftMs?, itlMs?, failStatus?, failOnceStatus?, failDelayMs?, cachedTokens?, extraWaiting?,
 * modelsStatus?, metricsStatus?, sleepStatus?}` (`failStatus: 0` or `null` turns failures off again; `failOnceStatus`
 * fails the next completion only; `failDelayMs` delays a completion's failure; `cachedTokens` >= 0 adds
 * `usage.prompt_tokens_details.cached_tokens`, as vLLM does with `--enable-prompt-tokens-details`, -1 leaves it out;
 * `sleepStatus` fails the three sleep-mode endpoints).
 * Each record's `receivedAt` is the wall-clock time in ms with sub-millisecond precision, so the arrival of the two
 * legs of a P/D request at two simulators can be compared (push mode: the decode leg's `kv_transfer_params` carry
 * `do_remote_prefill` and no `remote_block_ids`; a long `ttftMs` keeps it waiting as a decode engine waits for the
 * push), and `aborted` says whether the router gave up on the request.
 */
import { createHash, randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import { Response } from 'undici';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  receivedAt: number;
  aborted: boolean;
  completed: boolean;
}

export interface SimConfig {
  ttftMs: number;
  itlMs: number;
  failStatus: number;
  failOnceStatus: number;
  failDelayMs: number;
  cachedTokens: number;
  extraWaiting: number;
  modelsStatus: number;
  metricsStatus: number;
  sleepStatus: number;
}

interface Args {
  host: string;
  port: number;
  models: string[];
  ttftMs: number;
  itlMs: number;
  tokens: number;
  apiKey?: string;
}

/** How a multipart request is recorded: text fields, file parts, and the digest of the whole body as received. */
export interface FormRecord {
  fields: Record<string, string>;
  files: { name: string; filename: string; type: string; size: number; sha256: string }[];
  raw: { size: number; sha256: string };
}

const MAX_RECORDS = 10_000;
/** The behaviour at start (bar the delays of the command line), and what `null` in `POST /sim/config` sets back. */
const RESET: Readonly<Record<keyof SimConfig, number>> = {
  ttftMs: 0,
  itlMs: 0,
  failStatus: 0,
  failOnceStatus: 0,
  failDelayMs: 0,
  cachedTokens: -1,
  extraWaiting: 0,
  modelsStatus: 200,
  metricsStatus: 200,
  sleepStatus: 200,
};
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Parses a multipart body with undici's own parser (not the router's); undefined when it is not a valid form. */
async function readForm(raw: Buffer, contentType: string): Promise<FormRecord | undefined> {
  try {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const rec: FormRecord = { fields: {}, files: [], raw: { size: raw.length, sha256: sha256(raw) } };
    for (const [name, v] of form) {
      if (typeof v === 'string') rec.fields[name] = v;
      else
        rec.files.push({
          name,
          filename: v.name,
          type: v.type,
          size: v.size,
          sha256: sha256(Buffer.from(await v.arrayBuffer())),
        });
    }
    return rec;
  } catch {
    return undefined;
  }
}

/** The command line, on commander: `--help` lists the flags; a wrong one is one line and exit 2. */
function parseArgs(argv: string[]): Args {
  const num = (flag: string) => (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new InvalidArgumentError(`${flag}: invalid number '${value}'`);
    return n;
  };
  const program = new Command('engine-sim')
    .description('a small vLLM-compatible engine for the router tests and benchmarks')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 = any free port)', num('--port'), 0)
    .option('--model <name>', 'a model it serves (repeat for more)', (v: string, all: string[]) => [...all, v], [])
    .option('--ttft-ms <n>', 'time to first token', num('--ttft-ms'), 0)
    .option('--itl-ms <n>', 'time between tokens', num('--itl-ms'), 0)
    .option('--tokens <n>', 'tokens per answer', num('--tokens'), 16)
    .option('--api-key <key>', 'the bearer token it requires (as vLLM --api-key)')
    .configureOutput({ outputError: (text, write) => write(`engine-sim: ${text.replace(/\n(?=.)/g, ' ')}`) })
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  const o = program.parse(argv, { from: 'user' }).opts<Omit<Args, 'models'> & { model: string[] }>();
  if (o.model.length === 0) program.error('error: at least one --model is required');
  return {
    host: o.host,
    port: o.port,
    models: o.model,
    ttftMs: o.ttftMs,
    itlMs: o.itlMs,
    tokens: o.tokens,
    ...(o.apiKey ? { apiKey: o.apiKey } : {}),
  };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const engineId = randomUUID();
  const created = Math.floor(Date.now() / 1000);
  const config: SimConfig = { ...RESET, ttftMs: args.ttftMs, itlMs: args.itlMs };
  let sleeping = false;
  const records: RecordedRequest[] = [];
  const inFlight = new Map<string, number>();
  let port = 0;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };
  const error = (res: ServerResponse, status: number, message: string, type: string) =>
    json(res, status, {
      error: { message, type, param: null, code: status },
      object: 'error',
      message,
      type,
      code: status,
    });

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  /** Transcriptions and image edits, answered like vLLM (errors like vLLM's for a bad form or an unknown model). */
  const formEndpoint = (res: ServerResponse, path: string, form: FormRecord | null) => {
    const file = path === '/v1/audio/transcriptions' ? 'file' : 'image';
    if (form === null) return error(res, 400, 'Invalid multipart/form-data body', 'BadRequestError');
    const upload = form.files.find((f) => f.name === file || f.name === `${file}[]`);
    if (!upload) return error(res, 400, `Field required: ${file}`, 'BadRequestError');
    if (config.failStatus >= 400)
      return error(res, config.failStatus, `Simulated failure ${config.failStatus}`, 'SimulatedError');
    const model = form.fields.model;
    if (model === undefined || !args.models.includes(model)) {
      return error(res, 404, `The model \`${String(model)}\` does not exist.`, 'NotFoundError');
    }
    if (file === 'image') {
      const b64 = Buffer.from(`edited ${upload.filename} (${upload.size} bytes)`).toString('base64');
      return json(res, 200, { created: Math.floor(Date.now() / 1000), data: [{ b64_json: b64 }] });
    }
    const text = `transcribed ${upload.filename} (${upload.size} bytes)`;
    if (form.fields.response_format !== 'text') return json(res, 200, { text });
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    return void res.end(text);
  };

  const metricsText = () => {
    const lines: string[] = [];
    const gauge = (name: string, help: string, value: (m: string) => number) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const m of args.models) lines.push(`${name}{engine="0",model_name="${m}"} ${value(m)}`);
    };
    gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', (m) => inFlight.get(m) ?? 0);
    gauge(
      'vllm:num_requests_waiting',
      'Number of requests waiting to be processed.',
      (m) => (inFlight.get(m) ?? 0) + config.extraWaiting,
    );
    gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', (m) =>
      Math.min(1, (inFlight.get(m) ?? 0) / 100),
    );
    gauge('vllm:gpu_cache_usage_perc', 'GPU KV-cache usage. 1 means 100 percent usage.', (m) =>
      Math.min(1, (inFlight.get(m) ?? 0) / 100),
    );
    gauge('vllm:gpu_prefix_cache_hit_rate', 'GPU prefix cache block hit rate.', () => 0);
    return lines.join('\n') + '\n';
  };

  const modelsBody = () => ({
    object: 'list',
    data: args.models.map((m) => ({
      id: m,
      object: 'model',
      created,
      owned_by: 'vllm',
      root: m,
      parent: null,
      max_model_len: 4096,
      permission: [],
    })),
  });

  const infer = (res: ServerResponse, rec: RecordedRequest, chat: boolean) => {
    const body = rec.body as Record<string, unknown> | null;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return error(res, 400, 'Invalid JSON body', 'BadRequestError');
    }
    const failure = config.failStatus >= 400 ? config.failStatus : config.failOnceStatus;
    if (failure >= 400) {
      if (failure === config.failOnceStatus) config.failOnceStatus = 0;
      const fail = () => error(res, failure, `Simulated failure ${failure}`, 'SimulatedError');
      if (config.failDelayMs <= 0) return fail();
      const t = setTimeout(fail, config.failDelayMs);
      return void res.once('close', () => clearTimeout(t));
    }
    if (sleeping) return error(res, 503, 'The engine is sleeping', 'ServiceUnavailableError');
    const model = body.model;
    if (typeof model !== 'string' || !args.models.includes(model)) {
      return error(res, 404, `The model \`${String(model)}\` does not exist.`, 'NotFoundError');
    }
    const maxTokens =
      typeof body.max_tokens === 'number'
        ? body.max_tokens
        : typeof body.max_completion_tokens === 'number'
          ? body.max_completion_tokens
          : args.tokens;
    const n = Math.max(1, Math.floor(maxTokens));
    const stream = body.stream === true;
    const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    const promptLen = JSON.stringify(chat ? (body.messages ?? '') : (body.prompt ?? '')).length;
    const usage = {
      prompt_tokens: Math.max(1, Math.ceil(promptLen / 4)),
      completion_tokens: n,
      total_tokens: Math.max(1, Math.ceil(promptLen / 4)) + n,
      ...(config.cachedTokens >= 0 ? { prompt_tokens_details: { cached_tokens: config.cachedTokens } } : {}),
    };
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${randomUUID().replace(/-/g, '')}`;
    const kvReq = body.kv_transfer_params as { do_remote_decode?: unknown } | undefined;
    const kv =
      kvReq?.do_remote_decode === true
        ? {
            do_remote_prefill: true,
            do_remote_decode: false,
            remote_engine_id: engineId,
            remote_block_ids: [0, 1, 2],
            remote_host: args.host,
            remote_port: port,
            remote_request_id: `${id}-p`,
            tp_size: 1,
          }
        : undefined;
    const now = Math.floor(Date.now() / 1000);
    const token = (i: number) => ` t${i}`;
    inFlight.set(model, (inFlight.get(model) ?? 0) + 1);
    let done = false;
    const timers = new Set<NodeJS.Timeout>();
    const finish = () => {
      if (done) return;
      done = true;
      inFlight.set(model, (inFlight.get(model) ?? 1) - 1);
      for (const t of timers) clearTimeout(t);
    };
    res.on('close', finish);
    const complete = () => {
      rec.completed = true;
      finish();
    };
    const later = (ms: number, fn: () => void) => {
      if (ms <= 0) return fn();
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };
    if (!stream) {
      later(config.ttftMs + config.itlMs * (n - 1), () => {
        const text = Array.from({ length: n }, (_, i) => token(i)).join('');
        const choice = chat
          ? {
              index: 0,
              message: { role: 'assistant', content: text },
              logprobs: null,
              finish_reason: 'length',
              stop_reason: null,
            }
          : { index: 0, text, logprobs: null, finish_reason: 'length', stop_reason: null };
        complete();
        json(res, 200, {
          id,
          object: chat ? 'chat.completion' : 'text_completion',
          created: now,
          model,
          choices: [choice],
          usage,
          ...(kv ? { kv_transfer_params: kv } : {}),
        });
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const chunk = (choices: unknown[], extra?: Record<string, unknown>) =>
      `data: ${JSON.stringify({ id, object: chat ? 'chat.completion.chunk' : 'text_completion', created: now, model, choices, ...extra })}\n\n`;
    const piece = (i: number) => {
      const last = i === n - 1;
      const finishReason = last ? 'length' : null;
      return chat
        ? chunk([
            {
              index: 0,
              delta: i === 0 ? { role: 'assistant', content: token(i) } : { content: token(i) },
              logprobs: null,
              finish_reason: finishReason,
            },
          ])
        : chunk([{ index: 0, text: token(i), logprobs: null, finish_reason: finishReason }]);
    };
    const tail = () => (includeUsage ? chunk([], { usage }) : '') + 'data: [DONE]\n\n';
    if (config.ttftMs <= 0 && config.itlMs <= 0) {
      let all = '';
      for (let i = 0; i < n; i++) all += piece(i);
      complete();
      res.end(all + tail());
      return;
    }
    const emit = (i: number) => {
      if (i === n - 1) {
        complete();
        res.end(piece(i) + tail());
        return;
      }
      res.write(piece(i));
      later(config.itlMs, () => emit(i + 1));
    };
    later(config.ttftMs, () => emit(0));
  };

  const server = createServer((req, res) => {
    const receivedAt = performance.timeOrigin + performance.now(); // arrival, before the body is read
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/health') return void res.writeHead(200).end();
    if (path === '/metrics') {
      if (config.metricsStatus !== 200)
        return error(res, config.metricsStatus, 'Simulated metrics failure', 'SimulatedError');
      const text = metricsText();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      return void res.end(text);
    }
    void readBody(req).then(
      async (bytes) => {
        const text = bytes.toString('utf8');
        if (path === '/sim/requests') {
          if (req.method === 'DELETE') {
            records.length = 0;
            return json(res, 200, { cleared: true });
          }
          return json(res, 200, records);
        }
        if (path === '/sim/config' && req.method === 'POST') {
          try {
            const c = JSON.parse(text) as Partial<Record<keyof SimConfig, number | null>>;
            for (const key of Object.keys(config) as (keyof SimConfig)[]) {
              if (key in c) config[key] = c[key] ?? RESET[key];
            }
            return json(res, 200, config);
          } catch {
            return error(res, 400, 'invalid config', 'BadRequestError');
          }
        }
        const contentType = req.headers['content-type'] ?? '';
        let body: unknown = null;
        try {
          body = /^multipart\/form-data\b/i.test(contentType)
            ? ((await readForm(bytes, contentType)) ?? null)
            : text === ''
              ? null
              : JSON.parse(text);
        } catch {
          body = null;
        }
        const rec: RecordedRequest = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body,
          receivedAt,
          aborted: false,
          completed: false,
        };
        records.push(rec);
        if (records.length > MAX_RECORDS) records.splice(0, records.length - MAX_RECORDS);
        res.once('close', () => {
          if (!res.writableFinished) rec.aborted = true;
        });
        if (args.apiKey && path.startsWith('/v1/') && req.headers.authorization !== `Bearer ${args.apiKey}`) {
          return error(res, 401, 'Unauthorized', 'AuthenticationError');
        }
        if (path === '/v1/models' && req.method === 'GET') {
          rec.completed = true;
          if (config.modelsStatus !== 200)
            return error(res, config.modelsStatus, 'Simulated models failure', 'SimulatedError');
          return json(res, 200, modelsBody());
        }
        if (req.method === 'POST' && (path === '/v1/completions' || path === '/v1/chat/completions')) {
          return infer(res, rec, path === '/v1/chat/completions');
        }
        if (req.method === 'POST' && (path === '/v1/audio/transcriptions' || path === '/v1/images/edits')) {
          rec.completed = true;
          return formEndpoint(res, path, body as FormRecord | null);
        }
        if (
          (req.method === 'POST' && (path === '/sleep' || path === '/wake_up')) ||
          (req.method === 'GET' && path === '/is_sleeping')
        ) {
          rec.completed = true;
          if (config.sleepStatus !== 200)
            return error(res, config.sleepStatus, `Simulated ${path} failure`, 'SimulatedError');
          if (path === '/is_sleeping') return json(res, 200, { is_sleeping: sleeping });
          sleeping = path === '/sleep';
          return void res.writeHead(200).end();
        }
        if (req.method === 'POST' && ['/v1/embeddings', '/tokenize'].includes(path)) {
          rec.completed = true;
          return json(
            res,
            200,
            path === '/tokenize'
              ? { tokens: [1, 2, 3], count: 3 }
              : { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }] },
          );
        }
        rec.completed = true;
        return error(res, 404, `Not Found: ${req.method} ${path}`, 'NotFoundError');
      },
      () => res.destroy(),
    );
  });
  server.keepAliveTimeout = 60_000;
  server.listen(args.port, args.host, () => {
    const addr = server.address() as AddressInfo;
    port = addr.port;
    process.stdout.write(`engine-sim listening on http://${args.host}:${port}\n`);
  });
  server.on('error', (err) => {
    process.stderr.write(`engine-sim: error: ${err.message}\n`);
    process.exit(1);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
