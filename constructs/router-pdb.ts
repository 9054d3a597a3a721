/**
 * `RouterPdb`: `routerSpec.pdb` → PodDisruptionBudget `<release>-pdb-router` over the router's pods, as
 * production-stack's `pdb-router.yaml` renders it: labelled with `pdb.labels` only, selecting the router's labels;
 * `maxUnavailable` wins, else `minAvailable` (default 0) (workload.ts).
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import * as names from '../schema/facts/names.js';
import { ROUTER_DEFAULTS } from './defaults.js';
import { routerLabels, type Labels } from './labels.js';
import type { RouterObjectProps } from './router-object.js';
import { podDisruptionBudget, type DisruptionBudget } from './workload.js';
import { requireReleaseAndNamespace } from './invariants.js';

export interface RouterPdbProps extends RouterObjectProps {
  /** `routerSpec.labels`: the router pods' labels it selects (its own labels are `pdb.labels`). @default ROUTER_DEFAULTS.labels */
  readonly labels?: Labels;
  /** Its own labels and annotations, `minAvailable`/`maxUnavailable`. */
  readonly pdb: DisruptionBudget;
}

export class RouterPdb extends Construct {
  public readonly pdb: k8s.KubePodDisruptionBudget;

  constructor(scope: Construct, id: string, props: RouterPdbProps) {
    super(scope, id);
    requireReleaseAndNamespace('RouterPdb', props.release, props.namespace);
    this.pdb = podDisruptionBudget(this, 'Resource', {
      name: names.routerPdbName(props.release),
      namespace: props.namespace,
      selector: routerLabels(props.release, props.labels ?? ROUTER_DEFAULTS.labels),
      pdb: props.pdb,
    });
  }
}
