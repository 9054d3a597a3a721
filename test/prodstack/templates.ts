/**
 * Which of pdstack's objects stand for which production-stack template file (`helm/templates/*.yaml`), so that a
 * suite's `template:` selects the documents that template would have rendered, in the order Helm renders them.
 *
 * One table: each template lists the objects it renders, by kind and production-stack's object name
 * (`{release}`, `{namespace}`, `{model}`: a model of `servingEngineSpec.modelSpec`, `{any}`: any text, `{suffix}`:
 * nothing or `-` and any text). A template
 * that ranges over the models renders, for each model in turn, its rules in table order; the others render their
 * rules in table order; objects one rule matches keep pdstack's order. An object no rule matches and that is not
 * pdstack's own (`PDSTACK_ONLY`) belongs to `extra-objects.yaml`, production-stack's template for values-given objects.
 */
import { RunnerLimitation, type Doc } from './assertions.js';

interface Rule {
  /** `kind`, or `*Route` for any kind ending in `Route` (Gateway API routes: the kind comes from the values). */
  readonly kind: string;
  readonly name: string;
  /** Only for a model with (true) or without (false) `raySpec.enabled`: ray-cluster.yaml renders its chat template. */
  readonly ray?: boolean;
  /**
   * Gateway API routes: Helm ranges over `routerSpec.route` in key order; route `main` is `{release}-router`, any
   * other key `k` is `{release}-router-k`. The objects the rule matches are sorted by that key.
   */
  readonly byRouteKey?: true;
}

export const TEMPLATE_OBJECTS: Readonly<Record<string, readonly Rule[]>> = {
  'configmap.yaml': [{ kind: 'ConfigMap', name: '{release}-configs' }],
  'dashboards.yaml': [{ kind: 'ConfigMap', name: '{release}-grafana-{any}' }],
  'deployment-cache-server.yaml': [{ kind: 'Deployment', name: '{release}-deployment-cache-server' }],
  'deployment-lora-adapter.yaml': [{ kind: 'LoraAdapter', name: '{any}' }],
  'deployment-lora-controller.yaml': [{ kind: 'Deployment', name: '{release}-lora-controller' }],
  'deployment-router.yaml': [{ kind: 'Deployment', name: '{release}-deployment-router' }],
  'deployment-vllm-multi.yaml': [
    { kind: 'Deployment', name: '{release}-{model}-deployment-vllm' },
    { kind: 'ConfigMap', name: '{release}-{model}-chat-templates', ray: false },
  ],
  'hpa-router.yaml': [{ kind: 'HorizontalPodAutoscaler', name: '{release}-router-hpa' }],
  'ingress.yaml': [{ kind: 'Ingress', name: '{release}-ingress-router' }],
  'pdb-lora-controller.yaml': [{ kind: 'PodDisruptionBudget', name: '{release}-pdb-lora-controller' }],
  'pdb-router.yaml': [{ kind: 'PodDisruptionBudget', name: '{release}-pdb-router' }],
  'pdb-vllm-multi.yaml': [{ kind: 'PodDisruptionBudget', name: '{release}-{model}-pdb-vllm' }],
  'pvc.yaml': [{ kind: 'PersistentVolumeClaim', name: '{release}-{model}-storage-claim' }],
  'ray-cluster.yaml': [
    { kind: 'RayCluster', name: '{release}-{model}-raycluster' },
    { kind: 'ConfigMap', name: '{model}-wait-for-ray-script' },
    // pdstack's names: the release prefixed, so two releases in one namespace do not collide (schema/facts/names.ts)
    { kind: 'ConfigMap', name: '{release}-{model}-wait-for-ray-script' },
    { kind: 'ConfigMap', name: '{model}-vllm-start-script' },
    { kind: 'ConfigMap', name: '{release}-{model}-vllm-start-script' },
    { kind: 'ConfigMap', name: '{release}-{model}-chat-templates', ray: true },
  ],
  'role.yaml': [
    { kind: 'Role', name: '{release}-reader' },
    { kind: 'ClusterRole', name: '{release}-lora-controller' },
    // pdstack's names and kinds: the ClusterRole holds the namespace, leader election is a Role (constructs/lora-controller.ts)
    { kind: 'ClusterRole', name: '{release}-{namespace}-lora-controller' },
    { kind: 'ClusterRole', name: '{release}-leader-election-role' },
    { kind: 'Role', name: '{release}-leader-election-role' },
  ],
  'rolebinding.yaml': [
    { kind: 'RoleBinding', name: '{release}-deployment-access-binding' },
    { kind: 'ClusterRoleBinding', name: '{release}-lora-controller' },
    { kind: 'ClusterRoleBinding', name: '{release}-{namespace}-lora-controller' },
    { kind: 'ClusterRoleBinding', name: '{release}-leader-election-rolebinding' },
    { kind: 'RoleBinding', name: '{release}-leader-election-rolebinding' },
  ],
  'route.yaml': [{ kind: '*Route', name: '{release}-router{suffix}', byRouteKey: true }],
  'scaledobject-vllm.yaml': [{ kind: 'ScaledObject', name: '{release}-{model}-scaledobject' }],
  'secrets.yaml': [{ kind: 'Secret', name: '{release}-secrets' }],
  'service-cache-server.yaml': [{ kind: 'Service', name: '{release}-cache-server-service' }],
  'service-router.yaml': [{ kind: 'Service', name: '{release}-router-service' }],
  'service-vllm.yaml': [{ kind: 'Service', name: '{release}-{model}-engine-service' }],
  'serviceaccount.yaml': [
    { kind: 'ServiceAccount', name: '{release}-router-service-account' },
    { kind: 'ServiceAccount', name: '{release}-lora-controller' },
  ],
  'servicemonitor-engine.yaml': [{ kind: 'ServiceMonitor', name: '{release}-engine-servicemonitor' }],
  'servicemonitor-router.yaml': [{ kind: 'ServiceMonitor', name: '{release}-router-servicemonitor' }],
  'shared-storage.yaml': [
    { kind: 'PersistentVolume', name: '{release}-shared-pvc-storage' },
    // pdstack's name: the PersistentVolume is cluster-scoped (constructs/shared-storage.ts)
    { kind: 'PersistentVolume', name: '{release}-{namespace}-shared-pvc-storage' },
    { kind: 'PersistentVolumeClaim', name: '{release}-shared-pvc-storage-claim' },
  ],
};

/** production-stack's template for objects given in the values (`extraObjects`): every object no rule claims. */
export const EXTRA_OBJECTS_TEMPLATE = 'extra-objects.yaml';

/** pdstack's own objects, which no production-stack template renders (see the README's hardening section). */
export const PDSTACK_ONLY: readonly Rule[] = [
  { kind: 'ValidatingAdmissionPolicy', name: '{release}-{namespace}-router-sleeping-label' },
  { kind: 'ValidatingAdmissionPolicyBinding', name: '{release}-{namespace}-router-sleeping-label' },
  // production-stack ships it in crds/, which helm-unittest does not render as a template
  { kind: 'CustomResourceDefinition', name: 'loraadapters.production-stack.vllm.ai' },
];

/** The model entries of the values, as the templates range over them. */
export interface ModelEntry {
  readonly name: string;
  readonly ray: boolean;
}

export interface Naming {
  readonly release: string;
  readonly namespace: string;
  readonly models: readonly ModelEntry[];
}

const anyCount = (rules: readonly Rule[]): number => rules.filter((r) => /\{any\}|\{suffix\}/.test(r.name)).length;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function namePattern(rule: Rule, naming: Naming, model?: string): RegExp {
  const parts = rule.name.split(/(\{[a-z]+\})/).map((part) => {
    if (part === '{release}') return escape(naming.release);
    if (part === '{namespace}') return escape(naming.namespace);
    if (part === '{model}') return escape(model ?? '');
    if (part === '{any}') return '.+';
    if (part === '{suffix}') return '(?:-.+)?';
    return escape(part);
  });
  return new RegExp(`^${parts.join('')}$`);
}

const kindMatches = (rule: Rule, kind: unknown): boolean =>
  typeof kind === 'string' && (rule.kind === '*Route' ? kind.endsWith('Route') : kind === rule.kind);

const nameOf = (doc: Doc): string => {
  const metadata = doc.metadata as { name?: unknown } | undefined;
  return typeof metadata?.name === 'string' ? metadata.name : '';
};

/**
 * pdstack's objects grouped by the production-stack template that renders them, for each template of `templates`
 * (a template with no object is an empty list, as helm-unittest sees an empty render).
 */
export function documentsByTemplate(
  objects: readonly Doc[],
  naming: Naming,
  templates: readonly string[],
): Map<string, Doc[]> {
  const claimed = new Set<Doc>();
  const claim = (rule: Rule, model?: string): Doc[] => {
    const re = namePattern(rule, naming, model);
    const docs = objects.filter((o) => !claimed.has(o) && kindMatches(rule, o.kind) && re.test(nameOf(o)));
    docs.forEach((d) => claimed.add(d));
    if (!rule.byRouteKey) return docs;
    const prefix = `${naming.release}-router-`;
    const key = (d: Doc): string => (nameOf(d).startsWith(prefix) ? nameOf(d).slice(prefix.length) : 'main');
    return docs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  };
  const result = new Map<string, Doc[]>();
  for (const rule of PDSTACK_ONLY) claim(rule);
  // Exact per-model names first, so `{any}` rules never take an object another template names.
  const order = Object.entries(TEMPLATE_OBJECTS).sort(([, a], [, b]) => anyCount(a) - anyCount(b));
  for (const [template, rules] of order) {
    const perModel = rules.some((r) => r.name.includes('{model}'));
    const docs: Doc[] = [];
    if (perModel)
      for (const model of naming.models)
        for (const rule of rules) {
          if (rule.ray === undefined || rule.ray === model.ray) docs.push(...claim(rule, model.name));
        }
    else for (const rule of rules) docs.push(...claim(rule));
    result.set(template, docs);
  }
  result.set(
    EXTRA_OBJECTS_TEMPLATE,
    objects.filter((o) => !claimed.has(o)),
  );
  return new Map(
    templates.map((t) => {
      const docs = result.get(t);
      if (!docs) throw new RunnerLimitation(`template ${t} is not in the runner's table of production-stack templates`);
      return [t, docs];
    }),
  );
}
