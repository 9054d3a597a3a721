/**
 * Turns the engines that Kubernetes says are ready ("targets") into router endpoints, asking each engine for its
 * models with `GET /v1/models` asynchronously — never on the informer's path, so a slow or hung engine delays only
 * itself (the original blocked its watch loop on these calls, issue #431).
 *
 * - A target becomes an endpoint only after a successful probe; a failing probe keeps it out.
 * - A target is probed when it appears, when its URL changes, and every `reprobeIntervalMs` afterwards: targets
 *   whose probe failed get retried, endpoints get their model list refreshed (a failed refresh removes the endpoint).
 *   A target whose probe failed is also retried as soon as its Kubernetes object changes (any watch event for it).
 * - A target that disappears (deleted, unready, terminating) is removed at once, and any probe still in flight for
 *   it is ignored when it returns (generation counter), so it can never come back as a zombie.
 *
 * `endpoints()` is an immutable snapshot, rebuilt on each change.
 *
 * `overrideSleep` shows a new `sleep` state of an endpoint before the watch reports its `sleeping` label (the
 * router's `/sleep` must stop traffic before the engine falls asleep, not a watch round-trip later); the override
 * lasts until the watch reports the same value or the target disappears.
 */
import type { Endpoint } from '../types.js';
import type { ProbeResult } from './engine-probe.js';
import type { DiscoveryLogger } from './informer.js';
import { uuid5 } from './uuid5.js';

/** An engine that Kubernetes reports ready. */
export interface Target {
  /** Pod name (pod-ip) or Service name (service-name); also the seed of the endpoint id. */
  readonly key: string;
  readonly url: string;
  readonly modelLabel: string;
  readonly sleep: boolean;
  /** Changes whenever the Kubernetes objects behind the target change (their resourceVersions). */
  readonly revision: string;
  readonly namespace: string;
  readonly podName?: string;
  readonly serviceName?: string;
}

interface Entry {
  target: Target;
  endpoint: Endpoint | undefined;
  /** Bumped whenever an in-flight probe's answer must be ignored. */
  generation: number;
  probing: boolean;
  lastFailure: string | undefined;
  /** `sleep` as set by `overrideSleep`, shown instead of the target's until the target reports the same value. */
  sleepOverride: boolean | undefined;
}

export interface EndpointSetOptions {
  readonly probe: (url: string) => Promise<ProbeResult>;
  readonly reprobeIntervalMs: number;
  readonly log: DiscoveryLogger;
}

export class EndpointSet {
  private readonly entries = new Map<string, Entry>();
  private snapshot: readonly Endpoint[] = Object.freeze([]);
  private readonly everSeen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: EndpointSetOptions) {}

  startReprobing(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.reprobeAll(), this.opts.reprobeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const entry of this.entries.values()) entry.generation++;
    this.entries.clear();
  }

  endpoints(): readonly Endpoint[] {
    return this.snapshot;
  }

  hasEverSeenModel(model: string): boolean {
    return this.everSeen.has(model);
  }

  /**
   * Shows the endpoint of target `key` (pod or Service name, the seed of its id) with `sleep` at once (in
   * `endpoints()`, until the watch reports the same value); returns the undo, which restores what was shown before.
   * A no-op for a key that is not a current target.
   */
  overrideSleep(key: string, sleep: boolean): () => void {
    const entry = this.entries.get(key);
    if (!entry) return () => {};
    const previous = entry.sleepOverride;
    // The value the watch reported last, with no override pending, is on the server already: the patch will change
    // nothing, so no watch event would ever drop an override. With one pending, the patch reverts it: an event comes.
    entry.sleepOverride = previous === undefined && entry.target.sleep === sleep ? undefined : sleep;
    this.publish();
    return () => {
      if (this.entries.get(entry.target.key) !== entry) return;
      entry.sleepOverride = previous;
      this.publish();
    };
  }

  /** Resolves once the probes in flight now have answered (each is bounded by its own timeout). */
  async settled(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /** Replaces the set of ready targets. */
  update(targets: readonly Target[]): void {
    const seen = new Set<string>();
    let changed = false;
    for (const target of targets) {
      seen.add(target.key);
      const entry = this.entries.get(target.key);
      if (!entry) {
        const fresh: Entry = {
          target,
          endpoint: undefined,
          generation: 0,
          probing: false,
          lastFailure: undefined,
          sleepOverride: undefined,
        };
        this.entries.set(target.key, fresh);
        this.probe(fresh);
        continue;
      }
      const previous = entry.target;
      entry.target = target;
      if (entry.sleepOverride === target.sleep) entry.sleepOverride = undefined;
      if (previous.url !== target.url) {
        if (entry.endpoint) changed = true;
        entry.endpoint = undefined;
        entry.generation++;
        entry.probing = false;
        this.probe(entry);
      } else if (!entry.endpoint && previous.revision !== target.revision) {
        this.probe(entry);
      } else if (entry.endpoint && (previous.modelLabel !== target.modelLabel || previous.sleep !== target.sleep)) {
        entry.endpoint = Object.freeze({ ...entry.endpoint, modelLabel: target.modelLabel, sleep: target.sleep });
        changed = true;
      }
    }
    for (const [key, entry] of this.entries) {
      if (seen.has(key)) continue;
      entry.generation++;
      this.entries.delete(key);
      if (entry.endpoint) {
        this.opts.log.info(`Engine ${key} at ${entry.target.url} removed from endpoints`);
        changed = true;
      }
    }
    if (changed) this.publish();
  }

  private reprobeAll(): void {
    for (const entry of this.entries.values()) this.probe(entry);
  }

  private probe(entry: Entry): void {
    if (entry.probing) return;
    entry.probing = true;
    const generation = entry.generation;
    const { url } = entry.target;
    const done = this.opts.probe(url).then((result) => {
      if (entry.generation !== generation || this.entries.get(entry.target.key) !== entry) return;
      entry.probing = false;
      const target = entry.target;
      if (result.ok) {
        const hadEndpoint = entry.endpoint !== undefined;
        const sameModels = hadEndpoint && entry.endpoint!.modelNames.join('\n') === result.modelNames.join('\n');
        if (!hadEndpoint || !sameModels) {
          entry.endpoint = Object.freeze({
            id: uuid5(target.key),
            url: target.url,
            modelNames: result.modelNames,
            modelLabel: target.modelLabel,
            addedTimestamp: entry.endpoint?.addedTimestamp ?? Date.now() / 1000,
            sleep: target.sleep,
            modelInfo: result.modelInfo,
            namespace: target.namespace,
            ...(target.podName !== undefined ? { podName: target.podName } : {}),
            ...(target.serviceName !== undefined ? { serviceName: target.serviceName } : {}),
          });
          for (const m of result.modelNames) this.everSeen.add(m);
          this.opts.log.info(
            `Engine ${target.key} at ${target.url} ${hadEndpoint ? 'now serves' : 'added, serving'} ` +
              `${result.modelNames.join(', ')} (label ${target.modelLabel})`,
          );
          this.publish();
        }
        entry.lastFailure = undefined;
      } else {
        if (entry.lastFailure !== result.reason) {
          this.opts.log.warn(`Engine ${target.key} is not used: ${result.reason}`);
        }
        entry.lastFailure = result.reason;
        if (entry.endpoint) {
          entry.endpoint = undefined;
          this.publish();
        }
      }
    });
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  private publish(): void {
    const list: Endpoint[] = [];
    for (const { endpoint, sleepOverride } of this.entries.values()) {
      if (!endpoint) continue;
      const sleep = sleepOverride ?? endpoint.sleep;
      list.push(sleep === endpoint.sleep ? endpoint : Object.freeze({ ...endpoint, sleep }));
    }
    list.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
    this.snapshot = Object.freeze(list);
  }
}
