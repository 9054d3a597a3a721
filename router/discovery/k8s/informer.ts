/**
 * A list+watch of one resource kind through `@kubernetes/client-node`'s informer (`ListWatch`), made resilient:
 *
 * - The library already re-watches from the last resourceVersion when the server closes a watch (timeouts, drops),
 *   and re-lists on `410 Gone` (HTTP 410 or an in-stream `ERROR` event), emitting `delete` for objects gone meanwhile.
 * - On any other failure (connection refused, API server restarting, 5xx, list errors) the library emits `error`
 *   and stops. We then start a *fresh* informer after a backoff, which always re-lists, and switch to it only once
 *   its list succeeded: until then the last known objects stay in place (engines keep serving while the API server
 *   is away), and afterwards everything deleted meanwhile is gone — no zombie endpoint after a reconnect.
 * - `lostForMs()` tells how long the API server has been unreachable (for `/health`).
 *
 * Consumers read `objects()` whenever `onChange` fires (debounced to one call per burst of events).
 */
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { describeError } from './engine-probe.js';

export interface DiscoveryLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export interface ResilientInformerOptions<T extends KubernetesObject> {
  readonly kc: KubeConfig;
  /** Watch path, e.g. `/api/v1/namespaces/default/pods`. */
  readonly path: string;
  /** What is watched, for log lines, e.g. `pods in namespace default`. */
  readonly what: string;
  readonly labelSelector: string;
  /** Lists the objects (the list's `metadata.resourceVersion` starts the watch). */
  readonly list: () => Promise<KubernetesListObject<T>>;
  /** `--k8s-watcher-timeout-seconds` (0: the server's default). */
  readonly watchTimeoutSeconds: number;
  /** Client-side bounds of a watch: see `GuardedWatch`. */
  readonly watchLimits: { readonly connectTimeoutMs: number; readonly idleTimeoutMs: number };
  readonly restartDelayMs: { readonly initial: number; readonly max: number };
  readonly onChange: () => void;
  readonly log: DiscoveryLogger;
}

/**
 * The library's `Watch`, asking for bookmarks and the configured server-side timeout, noting each event, and
 * guarding the two waits the library leaves unbounded:
 * - no answer to the watch request within `connectTimeoutMs` → the watch fails (the informer gets restarted);
 * - an open watch silent for `idleTimeoutMs` (no event, not even a bookmark) → it is closed and resumed from its
 *   resourceVersion, so a connection that died without a FIN/RST cannot freeze discovery.
 */
class GuardedWatch extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly extraParams: Readonly<Record<string, string | number | boolean>>,
    private readonly limits: { readonly connectTimeoutMs: number; readonly idleTimeoutMs: number },
    private readonly hooks: {
      /** An event (bookmarks included) arrived. */
      readonly onEvent: () => void;
      /** The server accepted the watch (HTTP 200). */
      readonly onConnected: () => void;
      /** False once the informer owning this watch was stopped or replaced. */
      readonly wanted: () => boolean;
    },
  ) {
    super(kc);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    let finished = false;
    let controller: AbortController | undefined;
    let lastActivity = Date.now();
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      clearInterval(guard);
      done(err);
    };
    const { connectTimeoutMs, idleTimeoutMs } = this.limits;
    const guard = setInterval(
      () => {
        const quiet = Date.now() - lastActivity;
        if (!controller && quiet > connectTimeoutMs) {
          finish(new Error(`watch request got no answer within ${connectTimeoutMs} ms`));
        } else if (controller && quiet > idleTimeoutMs) {
          finish(null); // first: the abort below must not count as a failure
          controller.abort();
        }
      },
      Math.max(10, Math.min(connectTimeoutMs, idleTimeoutMs) / 4),
    );
    guard.unref();
    const onEvent = (phase: string, obj: unknown, watchObj?: unknown) => {
      lastActivity = Date.now();
      this.hooks.onEvent();
      callback(phase, obj, watchObj);
    };
    try {
      controller = await super.watch(path, { ...queryParams, ...this.extraParams }, onEvent, finish);
    } catch (err) {
      clearInterval(guard);
      throw err;
    }
    const result = controller;
    lastActivity = Date.now();
    // Answered after the connect timeout fired, or after the informer was stopped while this request was pending
    // (ListWatch.stop() cannot abort a request it has not got back yet): drop that stream.
    if (finished || !this.hooks.wanted()) result.abort();
    else this.hooks.onConnected();
    return result;
  }
}

export class ResilientInformer<T extends KubernetesObject> {
  /** The informer being (re)started; becomes `active` once its list succeeded. */
  private current: ListWatch<T> | undefined;
  /** The informer whose cache is served by `objects()`. */
  private active: ListWatch<T> | undefined;
  private stopped = true;
  private lostSince: number | undefined;
  private lastError = '';
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelay: number;
  private changeScheduled = false;
  private firstSync: { resolve: () => void; reject: (err: Error) => void } | undefined;

  constructor(private readonly opts: ResilientInformerOptions<T>) {
    this.restartDelay = opts.restartDelayMs.initial;
  }

  /**
   * Starts listing and watching; resolves after the first successful list (retrying failures until then).
   * Rejects when the first list is refused (401/403: credentials or RBAC) or has not succeeded within `deadlineMs`.
   */
  start(deadlineMs: number): Promise<void> {
    this.stopped = false;
    const first = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`could not list ${this.opts.what} within ${deadlineMs} ms: ${this.lastError || 'no answer'}`),
          ),
        deadlineMs,
      );
      this.firstSync = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
    this.launch();
    return first;
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    for (const inf of new Set([this.current, this.active])) void inf?.stop();
  }

  /** The objects of the last successful list plus the watch events since (a fresh array). */
  objects(): readonly T[] {
    return this.active ? this.active.list() : [];
  }

  synced(): boolean {
    return this.active !== undefined;
  }

  /** Milliseconds since the API server was last found unreachable (0 while it is reachable). */
  lostForMs(now = Date.now()): number {
    return this.lostSince === undefined ? 0 : now - this.lostSince;
  }

  lastErrorMessage(): string {
    return this.lastError;
  }

  private launch(): void {
    const inf: ListWatch<T> = new ListWatch<T>(
      this.opts.path,
      new GuardedWatch(
        this.opts.kc,
        {
          allowWatchBookmarks: true,
          ...(this.opts.watchTimeoutSeconds > 0 ? { timeoutSeconds: this.opts.watchTimeoutSeconds } : {}),
        },
        this.opts.watchLimits,
        {
          onEvent: () => {
            if (inf === this.active) this.reachable();
          },
          // Backoff restarts from its initial delay only once a watch works again, so a server that lists fine
          // but refuses watches is retried at the maximum delay, not in a tight loop.
          onConnected: () => {
            if (inf === this.active) this.restartDelay = this.opts.restartDelayMs.initial;
          },
          wanted: () => !this.stopped && (inf === this.current || inf === this.active),
        },
      ),
      async () => {
        const list = await this.opts.list();
        // ListWatch fills its cache from `list` right after this promise settles; switch over once it has.
        setImmediate(() => this.listed(inf));
        return list;
      },
      false,
      this.opts.labelSelector || undefined,
    );
    this.current = inf;
    const changed = () => {
      if (inf === this.active) this.scheduleChange();
    };
    inf.on('add', changed);
    inf.on('update', changed);
    inf.on('delete', changed);
    inf.on('error', (err?: unknown) => this.failed(inf, err));
    inf.start().catch((err: unknown) => this.failed(inf, err));
  }

  private listed(inf: ListWatch<T>): void {
    if (this.stopped || inf !== this.current) return;
    const previous = this.active;
    this.active = inf;
    if (previous && previous !== inf) void previous.stop();
    if (this.lostSince !== undefined) {
      this.opts.log.info(`Kubernetes API server reachable again: re-listed ${this.opts.what}`);
    }
    this.reachable();
    this.scheduleChange();
    this.firstSync?.resolve();
    this.firstSync = undefined;
  }

  private reachable(): void {
    this.lostSince = undefined;
  }

  private failed(inf: ListWatch<T>, err: unknown): void {
    if (this.stopped || inf !== this.current) return;
    void inf.stop();
    this.lastError = describeK8sError(err);
    if (this.lostSince === undefined) this.lostSince = Date.now();
    const status = httpStatusOf(err);
    if (this.firstSync && (status === 401 || status === 403)) {
      this.firstSync.reject(
        new Error(
          `listing ${this.opts.what} was refused (${this.lastError}): the router needs get/list/watch on them (RBAC)`,
        ),
      );
      this.firstSync = undefined;
      return;
    }
    this.opts.log.warn(`Watch of ${this.opts.what} failed (${this.lastError}); re-listing in ${this.restartDelay} ms`);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.launch();
    }, this.restartDelay);
    this.restartDelay = Math.min(this.restartDelay * 2, this.opts.restartDelayMs.max);
  }

  private scheduleChange(): void {
    if (this.changeScheduled) return;
    this.changeScheduled = true;
    setImmediate(() => {
      this.changeScheduled = false;
      if (!this.stopped) this.opts.onChange();
    });
  }
}

/** A readable message for errors of the library (HTTP status codes of `ApiException` and watch failures). */
export function describeK8sError(err: unknown): string {
  const status = httpStatusOf(err);
  if (status === undefined) return describeError(err);
  let body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      // not a Status object: keep the text
    }
  }
  const message =
    typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : typeof body === 'string' && body.length > 0
        ? body.slice(0, 200)
        : err instanceof Error
          ? (err.message.split('\n')[0] ?? '')
          : '';
  return `HTTP ${status}${message ? `: ${message}` : ''}`;
}

/** The HTTP status of a failed API call, when it has one. */
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  if (typeof e?.code === 'number') return e.code;
  return undefined;
}
