/** Shared helpers of the Kubernetes discovery tests: kubeconfig files, polling, engine stand-ins, ports. */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes a kubeconfig whose current context points at `server` (optionally with a bearer token); returns its path. */
export function writeKubeconfig(server: string, token?: string, namespace = 'default'): string {
  const dir = mkdtempSync(join(tmpdir(), 'pdstack-kube-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: sim',
      '  cluster:',
      `    server: ${server}`,
      // the 1.x client refuses plain-HTTP servers unless TLS verification is off
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: sim-user',
      `  user: ${token ? `{token: ${token}}` : '{}'}`,
      'contexts:',
      '- name: sim',
      '  context:',
      '    cluster: sim',
      '    user: sim-user',
      `    namespace: ${namespace}`,
      'current-context: sim',
      '',
    ].join('\n'),
  );
  return file;
}

/** Polls `check` until it returns a truthy value; fails after `timeoutMs` with `what` and the last value seen. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A port number free on every given loopback address (bound on the first one, checked on the others). */
export async function commonFreePort(hosts: readonly string[], attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const probe = createServer();
    probe.listen(0, hosts[0]);
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    let free = true;
    for (const host of hosts) {
      const s = createServer();
      try {
        s.listen(port, host);
        await once(s, 'listening');
      } catch {
        free = false;
      }
      await new Promise<void>((r) => s.close(() => r()));
      if (!free) break;
    }
    if (free) return port;
  }
  throw new Error(`no common free port on ${hosts.join(', ')}`);
}

/**
 * A minimal engine for discovery tests: answers `/v1/models` with the given models (or `modelsStatus`), and records
 * the Authorization header of each call.
 */
export class ModelsEngine {
  private server: Server | undefined;
  modelsStatus = 200;
  /** When set, `/v1/models` never answers (to exercise the probe timeout). */
  hang = false;
  readonly authorizations: (string | undefined)[] = [];

  /** `port` 0 takes a free port; `port` reads the actual one once started (a restart keeps it). */
  constructor(
    readonly host: string,
    private listenPort: number,
    public models: string[],
  ) {}

  get port(): number {
    return this.listenPort;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get modelCalls(): number {
    return this.authorizations.length;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.url === '/v1/models') {
        this.authorizations.push(req.headers.authorization);
        if (this.hang) return;
        if (this.modelsStatus !== 200) {
          res.writeHead(this.modelsStatus, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: 'simulated failure' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            data: this.models.map((id, i) => ({
              id,
              object: 'model',
              created: 1700000000,
              owned_by: 'vllm',
              root: i === 0 ? id : this.models[0],
              parent: i === 0 ? null : this.models[0],
              max_model_len: 4096,
            })),
          }),
        );
        return;
      }
      res.writeHead(404).end();
    });
    server.listen(this.listenPort, this.host);
    await once(server, 'listening');
    this.listenPort = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    await closed;
  }
}
