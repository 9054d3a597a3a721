/**
 * Asks an engine which models it serves: `GET <url>/v1/models` (Bearer `VLLM_API_KEY` when set) with a timeout.
 * Never throws: the result says why the engine cannot be used, so callers simply keep it out of the endpoints.
 */
import { readLimited } from '../../proxy/upstream.js';
import type { ModelInfo } from '../types.js';

export type ProbeResult =
  | {
      readonly ok: true;
      readonly modelNames: readonly string[];
      readonly modelInfo: Readonly<Record<string, ModelInfo>>;
    }
  | { readonly ok: false; readonly reason: string };

const CARD_FIELDS = new Set(['id', 'object', 'created', 'owned_by', 'root', 'parent']);

function toModelInfo(card: Record<string, unknown>): ModelInfo {
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(card)) if (!CARD_FIELDS.has(k)) extra[k] = v;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return Object.freeze({
    id: String(card.id),
    object: str(card.object) ?? 'model',
    created: typeof card.created === 'number' ? card.created : 0,
    owned_by: str(card.owned_by) ?? 'vllm',
    root: str(card.root),
    parent: str(card.parent),
    ...(Object.keys(extra).length > 0 ? { extra: Object.freeze(extra) } : {}),
  });
}

/** `maxBodyBytes`: the longest answer read (`--max-upstream-body-bytes`); a longer one fails the probe. */
export async function probeModels(
  baseUrl: string,
  apiKey: string | undefined,
  timeoutMs: number,
  maxBodyBytes: number,
): Promise<ProbeResult> {
  let body: unknown;
  try {
    const res = await fetch(`${baseUrl}/v1/models`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) {
      await res.body?.cancel();
      return { ok: false, reason: `GET ${baseUrl}/v1/models answered HTTP ${res.status}` };
    }
    body = res.body ? JSON.parse(await readLimited(res.body, maxBodyBytes)) : undefined;
  } catch (err) {
    return { ok: false, reason: `GET ${baseUrl}/v1/models failed: ${describeError(err)}` };
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return { ok: false, reason: `GET ${baseUrl}/v1/models returned no "data" list` };
  const modelInfo: Record<string, ModelInfo> = {};
  for (const card of data) {
    if (card && typeof card === 'object' && typeof (card as { id?: unknown }).id === 'string') {
      const info = toModelInfo(card as Record<string, unknown>);
      modelInfo[info.id] = info;
    }
  }
  const modelNames = Object.keys(modelInfo);
  if (modelNames.length === 0) return { ok: false, reason: `GET ${baseUrl}/v1/models lists no model` };
  return { ok: true, modelNames: Object.freeze(modelNames), modelInfo: Object.freeze(modelInfo) };
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? `: ${cause.message}` : '';
    return `${err.name === 'TimeoutError' ? 'timed out' : err.message}${causeText}`;
  }
  return String(err);
}
