/**
 * Comma-separated lists, as vllm_router reads its list flags (`--static-backends`, `--prefill-model-labels`, ...) and
 * as the values file writes them (`staticModels`, `cudaVisibleDevices`, ...): items trimmed; a blank text is no item.
 */

export interface CommaListOptions {
  /**
   * Drop empty items (`a,,b` → `a`, `b`). Keep them where an item's position matters, e.g. one label per backend.
   * @default false
   */
  readonly skipEmpty?: boolean;
}

export function commaList(text: string | undefined, options: CommaListOptions = {}): string[] {
  if (text === undefined || text.trim() === '') return [];
  const items = text.split(',').map((s) => s.trim());
  return options.skipEmpty ? items.filter((s) => s !== '') : items;
}
