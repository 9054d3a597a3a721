/**
 * A small fake Kubernetes API server for tests, speaking the real wire format of the core/v1 pods, services and
 * endpoints APIs on 127.0.0.1:
 *
 * - `GET /api/v1/namespaces/NS/<resource>?labelSelector=...` → a `<Kind>List` with `metadata.resourceVersion`;
 * - `...?watch=1|true&resourceVersion=X[&allowWatchBookmarks=true][&timeoutSeconds=N]` → a chunked stream of
 *   newline-delimited watch events (`ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK`, `ERROR`), replaying the events after
 *   X from its history; a resourceVersion older than the history (compacted) gets `410 Gone`, as an in-stream
 *   `ERROR` event with a `Status` (what a real API server does) or, in `goneMode: 'http'`, as an HTTP 410;
 * - label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, comma-separated;
 *   an object leaving the selector is sent as `DELETED`, one entering it as `ADDED`, as the real server does;
 * - `PATCH /api/v1/namespaces/NS/pods|services/NAME` with a JSON merge patch (`application/merge-patch+json`, e.g.
 *   the router's `sleeping` label) → the patched object, and a `MODIFIED` watch event unless the patch changed
 *   nothing; other patch types get 415.
 *
 * Tests mutate objects (every change gets the next resourceVersion), drop all watches, expire them with 410,
 * hold back their events (a lagging watch), compact the history, and stop and restart the server on the same port (the restarted server keeps its objects,
 * like etcd, but not its watch history, like a real API server's watch cache).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Resource = 'pods' | 'services' | 'endpoints';
export type Verb = 'get' | 'list' | 'watch' | 'patch';

/** One rule of a Role (core API group): the verbs it allows on the resources it names. */
export interface RbacRule {
  readonly resources: readonly Resource[];
  readonly verbs: readonly Verb[];
}

/** The Role `constructs/router.ts` renders for each `--k8s-service-discovery-type`. */
export const CHART_ROLE: Record<'pod-ip' | 'service-name', readonly RbacRule[]> = {
  'pod-ip': [
    { resources: ['pods'], verbs: ['get', 'watch', 'list'] },
    { resources: ['pods'], verbs: ['patch'] },
  ],
  'service-name': [
    { resources: ['pods', 'services', 'endpoints'], verbs: ['get', 'watch', 'list'] },
    { resources: ['services'], verbs: ['patch'] },
  ],
};
const KINDS: Record<Resource, string> = { pods: 'Pod', services: 'Service', endpoints: 'Endpoints' };

type Json = Record<string, any>;

interface HistoryEvent {
  readonly rv: number;
  readonly resource: Resource;
  readonly namespace: string;
  readonly before: Json | undefined;
  readonly after: Json | undefined;
}

interface ActiveWatch {
  readonly resource: Resource;
  readonly namespace: string;
  readonly selector: Selector;
  readonly res: ServerResponse;
  readonly bookmarks: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
}

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };
type Selector = Requirement[];

export function parseSelector(text: string): Selector {
  const reqs: Selector = [];
  // split on commas that are not inside parentheses
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) continue;
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      reqs.push({ op: m[2] as 'in' | 'notin', key: m[1]!, values: m[3]!.split(',').map((v) => v.trim()) });
    } else if ((m = part.match(/^([^\s!=]+)\s*!=\s*(\S*)$/))) {
      reqs.push({ op: 'neq', key: m[1]!, value: m[2]! });
    } else if ((m = part.match(/^([^\s!=]+)\s*==?\s*(\S*)$/))) {
      reqs.push({ op: 'eq', key: m[1]!, value: m[2]! });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      reqs.push({ op: 'notexists', key: m[1]! });
    } else if ((m = part.match(/^(\S+)$/))) {
      reqs.push({ op: 'exists', key: m[1]! });
    } else {
      throw new Error(`unable to parse requirement: ${part}`);
    }
  }
  return reqs;
}

function matches(selector: Selector, obj: Json | undefined): boolean {
  if (!obj) return false;
  const labels: Record<string, string> = obj.metadata?.labels ?? {};
  return selector.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'eq':
        return has && labels[r.key] === r.value;
      case 'neq':
        return !has || labels[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(labels[r.key]!);
      case 'notin':
        return !has || !r.values.includes(labels[r.key]!);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export interface PodSpecInput {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly ip?: string;
  readonly ready?: boolean;
  /** Number of containers (all share the readiness given). Default 1. */
  readonly containers?: number;
}

export class ApiServerSim {
  private server: Server | undefined;
  private port = 0;
  private rv = 1000;
  /** Events with a resourceVersion <= compactedRv are no longer in the history. */
  private compactedRv = 1000;
  private readonly objects: Record<Resource, Map<string, Json>> = {
    pods: new Map(),
    services: new Map(),
    endpoints: new Map(),
  };
  private history: HistoryEvent[] = [];
  private readonly watches = new Set<ActiveWatch>();
  /** Set by `pauseWatches()`: events after this resourceVersion are held back from the watches. */
  private pausedAt: number | undefined;
  readonly requests: RecordedRequest[] = [];
  /** How a too-old resourceVersion is refused on watch. */
  goneMode: 'event' | 'http' = 'event';
  /** HTTP status every request gets instead of an answer while set (e.g. 503, 403). */
  failWith: number | undefined;
  /**
   * The rules of the client's Role, enforced like the real authorizer: a request is allowed when one rule names both
   * its verb and its resource; any other gets 403 Forbidden and is recorded in `forbidden`. Unset: everything
   * allowed.
   */
  rbac: readonly RbacRule[] | undefined;
  readonly forbidden: RecordedRequest[] = [];
  /** While set, requests are accepted but never answered (a hung API server). */
  hang = false;
  private readonly hung = new Set<ServerResponse>();

  /** Starts listening on 127.0.0.1 (a random port the first time, the same port on a restart). */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 1000;
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and cuts every connection (watches included). Objects are kept; watch history is not. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const w of this.watches) w.res.destroy();
    this.watches.clear();
    for (const res of this.hung) res.destroy();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    this.compact();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Number of watch streams currently open. */
  get watchCount(): number {
    return this.watches.size;
  }

  /** A copy of an object as stored, if it exists. */
  object(resource: Resource, name: string, namespace = 'default'): Json | undefined {
    const o = this.objects[resource].get(`${namespace}/${name}`);
    return o && clone(o);
  }

  /** Lists requests whose URL contains `fragment`. */
  requestsMatching(fragment: string): RecordedRequest[] {
    return this.requests.filter((r) => r.url.includes(fragment));
  }

  // ---------------------------------------------------------------- mutations

  addPod(input: PodSpecInput): Json {
    const namespace = input.namespace ?? 'default';
    const containers = input.containers ?? 1;
    const ready = input.ready ?? false;
    const pod: Json = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {
        name: input.name,
        namespace,
        uid: `uid-${input.name}-${this.rv + 1}`,
        labels: { ...(input.labels ?? {}) },
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
      spec: {
        containers: Array.from({ length: containers }, (_, i) => ({
          name: i === 0 ? 'vllm' : `side-${i}`,
          image: 'x',
        })),
      },
      status: {
        phase: input.ip ? 'Running' : 'Pending',
        ...(input.ip ? { podIP: input.ip, podIPs: [{ ip: input.ip }] } : {}),
        containerStatuses: Array.from({ length: containers }, (_, i) => ({
          name: i === 0 ? 'vllm' : `side-${i}`,
          ready,
          restartCount: 0,
          image: 'x',
          imageID: '',
          started: true,
        })),
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      },
    };
    return this.put('pods', pod);
  }

  /** Sets the readiness of all containers (or of container `index` only). */
  setPodReady(name: string, ready: boolean, namespace = 'default', index?: number): Json {
    return this.modify('pods', namespace, name, (pod) => {
      pod.status.containerStatuses.forEach((c: Json, i: number) => {
        if (index === undefined || i === index) c.ready = ready;
      });
      const all = pod.status.containerStatuses.every((c: Json) => c.ready);
      pod.status.conditions = [{ type: 'Ready', status: all ? 'True' : 'False' }];
    });
  }

  setPodIp(name: string, ip: string, namespace = 'default'): Json {
    return this.modify('pods', namespace, name, (pod) => {
      pod.status.podIP = ip;
      pod.status.podIPs = [{ ip }];
      pod.status.phase = 'Running';
    });
  }

  setLabels(resource: Resource, name: string, labels: Record<string, string>, namespace = 'default'): Json {
    return this.modify(resource, namespace, name, (o) => {
      o.metadata.labels = { ...labels };
    });
  }

  /** Graceful deletion begins: `deletionTimestamp` is set (containers may still be ready). */
  markTerminating(name: string, namespace = 'default'): Json {
    return this.modify('pods', namespace, name, (pod) => {
      pod.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      pod.metadata.deletionGracePeriodSeconds = 30;
    });
  }

  delete(resource: Resource, name: string, namespace = 'default'): void {
    const key = `${namespace}/${name}`;
    const before = this.objects[resource].get(key);
    if (!before) throw new Error(`no ${resource} ${key}`);
    this.objects[resource].delete(key);
    const rv = ++this.rv;
    this.emit({ rv, resource, namespace, before, after: undefined });
  }

  deletePod(name: string, namespace = 'default'): void {
    this.delete('pods', name, namespace);
  }

  addService(
    name: string,
    opts: { labels?: Record<string, string>; selector?: Record<string, string>; namespace?: string },
  ): Json {
    const namespace = opts.namespace ?? 'default';
    return this.put('services', {
      kind: 'Service',
      apiVersion: 'v1',
      metadata: { name, namespace, uid: `uid-svc-${name}`, labels: { ...(opts.labels ?? {}) } },
      spec: {
        selector: { ...(opts.selector ?? {}) },
        ports: [{ port: 8000, targetPort: 8000, protocol: 'TCP' }],
        type: 'ClusterIP',
      },
    });
  }

  /** Creates or replaces the Endpoints object of a Service: `ready`/`notReady` addresses (IPs). */
  setEndpoints(
    name: string,
    addresses: { ready?: string[]; notReady?: string[] },
    opts: { labels?: Record<string, string>; namespace?: string } = {},
  ): Json {
    const namespace = opts.namespace ?? 'default';
    const ready = addresses.ready ?? [];
    const notReady = addresses.notReady ?? [];
    const subsets =
      ready.length + notReady.length === 0
        ? []
        : [
            {
              ...(ready.length ? { addresses: ready.map((ip) => ({ ip })) } : {}),
              ...(notReady.length ? { notReadyAddresses: notReady.map((ip) => ({ ip })) } : {}),
              ports: [{ port: 8000, protocol: 'TCP' }],
            },
          ];
    const existing = this.objects.endpoints.get(`${namespace}/${name}`);
    const obj: Json = existing
      ? { ...clone(existing), subsets }
      : {
          kind: 'Endpoints',
          apiVersion: 'v1',
          metadata: { name, namespace, uid: `uid-ep-${name}`, labels: { ...(opts.labels ?? {}) } },
          subsets,
        };
    return this.put('endpoints', obj);
  }

  // ---------------------------------------------------------------- watch control

  /** Ends every open watch stream cleanly (the client sees the connection close). */
  dropWatches(): void {
    for (const w of this.watches) w.res.end();
    this.watches.clear();
  }

  /** Holds back every watch event (objects still change and answer lists) until `resumeWatches()`. */
  pauseWatches(): void {
    this.pausedAt ??= this.rv;
  }

  /** Sends the watch events held back since `pauseWatches()`, in order. */
  resumeWatches(): void {
    const from = this.pausedAt;
    this.pausedAt = undefined;
    if (from === undefined) return;
    for (const e of this.history) {
      if (e.rv <= from) continue;
      for (const w of this.watches) if (w.resource === e.resource && w.namespace === e.namespace) this.sendEvent(w, e);
    }
  }

  /** Sends `ERROR 410 Gone` on every open watch and closes it, and compacts the history (so resuming fails too). */
  expireWatches(): void {
    this.compact();
    for (const w of this.watches) {
      this.write(w, { type: 'ERROR', object: goneStatus(this.compactedRv) });
      w.res.end();
    }
    this.watches.clear();
  }

  /** Forgets the watch history: watches from any current resourceVersion or older get 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
  }

  /** Sends a `BOOKMARK` with the current resourceVersion on every watch that asked for bookmarks. */
  sendBookmarks(): void {
    for (const w of this.watches) {
      if (w.bookmarks) {
        this.write(w, {
          type: 'BOOKMARK',
          object: { kind: KINDS[w.resource], apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) } },
        });
      }
    }
  }

  // ---------------------------------------------------------------- internals

  private put(resource: Resource, obj: Json): Json {
    const namespace: string = obj.metadata.namespace;
    const key = `${namespace}/${obj.metadata.name}`;
    const before = this.objects[resource].get(key);
    const rv = ++this.rv;
    const after = clone(obj);
    after.metadata.resourceVersion = String(rv);
    this.objects[resource].set(key, after);
    this.emit({ rv, resource, namespace, before, after });
    return clone(after);
  }

  private modify(resource: Resource, namespace: string, name: string, change: (o: Json) => void): Json {
    const current = this.objects[resource].get(`${namespace}/${name}`);
    if (!current) throw new Error(`no ${resource} ${namespace}/${name}`);
    const next = clone(current);
    change(next);
    return this.put(resource, next);
  }

  private emit(event: HistoryEvent): void {
    this.history.push(event);
    if (this.pausedAt !== undefined) return;
    for (const w of this.watches) {
      if (w.resource === event.resource && w.namespace === event.namespace) this.sendEvent(w, event);
    }
  }

  /** The watch event a watcher with this selector sees for a history event, if any. */
  private eventFor(w: { selector: Selector }, e: HistoryEvent): Json | undefined {
    const was = matches(w.selector, e.before);
    const is = matches(w.selector, e.after);
    const deletedCopy = () => {
      const o = clone(e.before!);
      o.metadata.resourceVersion = String(e.rv);
      return o;
    };
    if (e.after === undefined) return was ? { type: 'DELETED', object: deletedCopy() } : undefined;
    if (was && is) return { type: 'MODIFIED', object: e.after };
    if (!was && is) return { type: 'ADDED', object: e.after };
    if (was && !is) return { type: 'DELETED', object: { ...clone(e.after) } };
    return undefined;
  }

  private sendEvent(w: ActiveWatch, e: HistoryEvent): void {
    const ev = this.eventFor(w, e);
    if (ev) this.write(w, ev);
  }

  private write(w: ActiveWatch, event: Json): void {
    if (!w.res.writableEnded && !w.res.destroyed) w.res.write(JSON.stringify(event) + '\n');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', authorization: req.headers.authorization });
    if (this.hang) {
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      return;
    }
    if (this.failWith !== undefined) {
      return this.status(
        res,
        this.failWith,
        this.failWith === 403 ? 'Forbidden' : 'InternalError',
        `simulated ${this.failWith}`,
      );
    }
    const item = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/(pods|services)\/([^/]+)$/);
    if (req.method === 'PATCH' && item) {
      return this.patch(req, res, item[2] as Resource, decodeURIComponent(item[1]!), decodeURIComponent(item[3]!));
    }
    const m = url.pathname.match(/^\/api\/v1\/namespaces\/([^/]+)\/(pods|services|endpoints)$/);
    if (req.method !== 'GET' || !m) {
      return this.status(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    }
    const namespace = decodeURIComponent(m[1]!);
    const resource = m[2] as Resource;
    let selector: Selector;
    try {
      selector = parseSelector(url.searchParams.get('labelSelector') ?? '');
    } catch (err) {
      return this.status(res, 400, 'BadRequest', (err as Error).message);
    }
    const watch = url.searchParams.get('watch');
    const isWatch = watch === '1' || watch === 'true';
    if (this.refused(res, isWatch ? 'watch' : 'list', resource, namespace)) return;
    if (isWatch) return this.watch(res, url, resource, namespace, selector);
    const items = [...this.objects[resource].values()].filter(
      (o) => o.metadata.namespace === namespace && matches(selector, o),
    );
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: `${KINDS[resource]}List`,
        apiVersion: 'v1',
        metadata: { resourceVersion: String(this.rv) },
        items,
      }),
    );
  }

  /** Answers 403 (and records the request) unless a rule of `rbac` allows `verb` on `resource`. */
  private refused(res: ServerResponse, verb: Verb, resource: Resource, namespace: string): boolean {
    if (!this.rbac || this.rbac.some((r) => r.resources.includes(resource) && r.verbs.includes(verb))) return false;
    this.forbidden.push(this.requests.at(-1)!);
    this.status(res, 403, 'Forbidden', `cannot ${verb} resource "${resource}" in namespace "${namespace}"`);
    return true;
  }

  private patch(req: IncomingMessage, res: ServerResponse, resource: Resource, namespace: string, name: string): void {
    if (this.refused(res, 'patch', resource, namespace)) return;
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.split(';')[0]!.trim() !== 'application/merge-patch+json') {
      return this.status(
        res,
        415,
        'UnsupportedMediaType',
        `the simulator only applies merge patches, not ${contentType}`,
      );
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let patch: unknown;
      try {
        patch = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        return this.status(res, 400, 'BadRequest', `invalid JSON patch: ${(err as Error).message}`);
      }
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
        return this.status(res, 400, 'BadRequest', 'a merge patch must be a JSON object');
      }
      const current = this.objects[resource].get(`${namespace}/${name}`);
      if (!current) return this.status(res, 404, 'NotFound', `${resource} "${name}" not found`);
      const merged = mergePatch(current, patch) as Json;
      // like the real server, a patch that changes nothing stores nothing: no new resourceVersion, no watch event
      const patched = JSON.stringify(merged) === JSON.stringify(current) ? clone(current) : this.put(resource, merged);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(patched));
    });
  }

  private watch(res: ServerResponse, url: URL, resource: Resource, namespace: string, selector: Selector): void {
    const rvParam = url.searchParams.get('resourceVersion') ?? '';
    const from = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    if (from !== undefined && (!Number.isFinite(from) || from < this.compactedRv)) {
      if (this.goneMode === 'http') {
        return this.status(res, 410, 'Expired', `too old resource version: ${rvParam} (${this.compactedRv})`);
      }
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.write(JSON.stringify({ type: 'ERROR', object: goneStatus(this.compactedRv, rvParam) }) + '\n');
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: ActiveWatch = {
      resource,
      namespace,
      selector,
      res,
      bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
    };
    if (from === undefined) {
      // No resourceVersion: the current state as synthetic ADDED events, then changes.
      for (const o of this.objects[resource].values()) {
        if (o.metadata.namespace === namespace && matches(selector, o)) this.write(w, { type: 'ADDED', object: o });
      }
    } else {
      for (const e of this.history) {
        if (e.rv > from && e.resource === resource && e.namespace === namespace) this.sendEvent(w, e);
      }
    }
    this.watches.add(w);
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      if (timer) clearTimeout(timer);
      this.watches.delete(w);
    });
  }

  private status(res: ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }),
    );
  }
}

/** RFC 7386 JSON merge patch: objects merge key by key, `null` deletes a key, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Json = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function goneStatus(compactedRv: number, requested?: string): Json {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `too old resource version: ${requested ?? '?'} (${compactedRv})`,
    reason: 'Expired',
    code: 410,
  };
}
