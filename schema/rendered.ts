/**
 * What a values document renders: which models get engines and whether the router is rendered. One answer for
 * the constructs, the checks of meaning, the chart generator and its docs. Imports no cdk8s (validate stays light).
 */
import type { ModelSpec, PdstackValues } from './values.generated.js';

/** A model that gets an engine, with its index in `servingEngineSpec.modelSpec`. */
export interface RenderedModel {
  readonly spec: ModelSpec;
  readonly index: number;
}

/** Whether engines (and the objects they share: release Secret, configs ConfigMap) are rendered. */
export const enginesEnabled = (values: Readonly<PdstackValues>): boolean =>
  values.servingEngineSpec?.enableEngine !== false;

/** The models that get an engine: every enabled model when engines are enabled, in modelSpec order. */
export function renderedModels(values: Readonly<PdstackValues>): RenderedModel[] {
  if (!enginesEnabled(values)) return [];
  const models = values.servingEngineSpec?.modelSpec ?? [];
  return models.flatMap((spec, index) => (spec.enabled === false ? [] : [{ spec, index }]));
}

/** Whether the router is rendered. */
export const routerEnabled = (values: Readonly<PdstackValues>): boolean => values.routerSpec?.enableRouter !== false;
