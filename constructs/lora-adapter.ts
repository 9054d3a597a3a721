/**
 * `LoraAdapter`: one `loraAdapters[]` entry → a LoraAdapter custom resource (`production-stack.vllm.ai/v1alpha1`),
 * which the LoRA controller (constructs/lora-controller.ts) reconciles by loading the adapter into the engines whose
 * pod label `model` is its `baseModel`, as production-stack's `deployment-lora-adapter.yaml` renders it. A literal
 * `credentials` goes into the release Secret (`lora_adapter_credentials_<adapterName>`) and the resource references
 * it; the API key is the adapter's own `{secretName, secretKey}`, else `servingEngineSpec.vllmApiKey` (a literal one
 * from the release Secret's `vllmApiKey`).
 *
 * `LoraAdapterCrd`: the CustomResourceDefinition `loraadapters.production-stack.vllm.ai` those resources need,
 * written from the facts of production-stack's CRD (group, version, kind, names, field names and types, required
 * fields, enums). The generated Helm chart ships it in `crds/`, as production-stack's chart does.
 */
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { dnsSubdomainProblem, secretKeyProblem } from '../schema/facts/dns-label.js';
import * as names from '../schema/facts/names.js';
import type { LoraAdapter as LoraAdapterValues } from '../schema/values.generated.js';
import { LORA_ADAPTER_DEFAULTS } from './defaults.js';
import { requireReleaseAndNamespace, requireWholeNumber } from './invariants.js';
import { loraAdapterLabels, type Labels } from './labels.js';
import { ReleaseSecret, SecretSource } from './release-secret.js';
import { requireUniqueObjects } from './unique-objects.js';

/** The API group, version and kind of LoraAdapter custom resources. */
export const LORA_ADAPTER_GROUP = 'production-stack.vllm.ai';
export const LORA_ADAPTER_VERSION = 'v1alpha1';
export const LORA_ADAPTER_KIND = 'LoraAdapter';
export const LORA_ADAPTER_API_VERSION = `${LORA_ADAPTER_GROUP}/${LORA_ADAPTER_VERSION}`;
export const LORA_ADAPTER_CRD_NAME = `loraadapters.${LORA_ADAPTER_GROUP}`;

/** The values schema's `adapterSource.type` enum. */
export type LoraAdapterSourceType = LoraAdapterValues['adapterSource']['type'];
/** The values schema's `loraAdapterDeploymentConfig.algorithm` enum. */
export type LoraPlacementAlgorithm = NonNullable<
  NonNullable<LoraAdapterValues['loraAdapterDeploymentConfig']>['algorithm']
>;

/** Where the adapter's weights come from (`adapterSource`). */
export interface LoraAdapterSource {
  readonly type: LoraAdapterSourceType;
  /** The adapter's name, as the engines serve it. */
  readonly adapterName: string;
  /** Path of the weights; required for `local`. @default - none */
  readonly adapterPath?: string;
  /** Repository to download from. @default - none */
  readonly repository?: string;
  /** Pattern of adapter names. @default - none */
  readonly pattern?: string;
  /** Most adapters to load. @default - the controller's */
  readonly maxAdapters?: number;
}

export interface LoraAdapterProps {
  /** Release name: its label, and the release Secret holding literal secrets. */
  readonly release: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** The resource's name (a DNS subdomain). */
  readonly name: string;
  /** The `model` pod label (a modelSpec name) of the engines that load the adapter. */
  readonly baseModel: string;
  readonly source: LoraAdapterSource;
  /** Storage credentials; a literal is kept in the release Secret. @default - none */
  readonly credentials?: SecretSource;
  /** The engines' API key; a literal is kept in the release Secret (`vllmApiKey`). @default - none */
  readonly apiKey?: SecretSource;
  /** @default 'default' */
  readonly algorithm?: LoraPlacementAlgorithm;
  /** How many engine pods load the adapter. @default - the controller's choice */
  readonly replicas?: number;
  /** Labels after production-stack's two. @default - none */
  readonly labels?: Labels;
}

export class LoraAdapter extends Construct {
  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: LoraAdapterProps) {
    super(scope, id);
    requireUniqueObjects(this);
    requireReleaseAndNamespace('LoraAdapter', props.release, props.namespace);
    const { release, namespace, name, source } = props;
    const nameProblem = dnsSubdomainProblem(name);
    if (nameProblem) throw new Error(`LoraAdapter ${name}: name ${nameProblem}`);
    if (!props.baseModel) throw new Error(`LoraAdapter ${name}: baseModel is empty`);
    if (!source.adapterName) throw new Error(`LoraAdapter ${name}: source.adapterName is empty`);
    if (source.type === 'local' && !source.adapterPath)
      throw new Error(`LoraAdapter ${name}: a local source needs source.adapterPath`);
    const credentialsKey = names.loraCredentialsSecretKey(source.adapterName);
    const keyProblem = props.credentials?.literal !== undefined ? secretKeyProblem(credentialsKey) : null;
    if (keyProblem)
      throw new Error(
        `LoraAdapter ${name}: literal credentials are kept in the release Secret under \`${credentialsKey}\`, which ${keyProblem} (source.adapterName \`${source.adapterName}\`)`,
      );
    requireWholeNumber(`LoraAdapter ${name}`, 'replicas', props.replicas, 0);
    requireWholeNumber(`LoraAdapter ${name}`, 'source.maxAdapters', source.maxAdapters, 1);
    const secretProps = { release, namespace };
    const apiKey = ReleaseSecret.vllmApiKeyRef(this, secretProps, props.apiKey);
    const credentials = ReleaseSecret.secretRef(this, secretProps, credentialsKey, props.credentials);
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: LORA_ADAPTER_API_VERSION,
      kind: LORA_ADAPTER_KIND,
      metadata: { name, namespace, labels: { ...loraAdapterLabels(release, props.labels ?? {}) } },
      spec: {
        baseModel: props.baseModel,
        vllmApiKey: apiKey ? { secretName: apiKey.name, secretKey: apiKey.key } : undefined,
        adapterSource: {
          type: source.type,
          adapterName: source.adapterName,
          adapterPath: source.adapterPath || undefined,
          repository: source.repository || undefined,
          pattern: source.pattern || undefined,
          maxAdapters: source.maxAdapters,
          credentialsSecretRef: credentials,
        },
        loraAdapterDeploymentConfig: {
          algorithm: props.algorithm ?? LORA_ADAPTER_DEFAULTS.algorithm,
          // production-stack's template writes replicas only when truthy: 0 is left out.
          replicas: props.replicas || undefined,
        },
      },
    });
  }
}

const str = { type: 'string' };
const int32 = { type: 'integer', format: 'int32' };
const obj = (properties: Record<string, unknown>, required?: string[]): Record<string, unknown> => ({
  type: 'object',
  properties,
  ...(required ? { required } : {}),
});

/** The openAPIV3Schema of LoraAdapter v1alpha1 (production-stack's fields; descriptions pdstack's own). */
export const LORA_ADAPTER_SCHEMA: Readonly<Record<string, unknown>> = obj({
  apiVersion: str,
  kind: str,
  metadata: { type: 'object' },
  spec: obj(
    {
      baseModel: { ...str, description: 'The modelSpec name (pod label model) of the engines that load the adapter' },
      vllmApiKey: obj({ secretName: str, secretKey: str }, ['secretKey', 'secretName']),
      adapterSource: obj(
        {
          type: { ...str, enum: ['local', 's3', 'http', 'huggingface'] },
          adapterName: str,
          adapterPath: str,
          repository: str,
          pattern: str,
          maxAdapters: int32,
          credentialsSecretRef: { ...obj({ name: str, key: str }, ['key', 'name']), 'x-kubernetes-map-type': 'atomic' },
        },
        ['adapterName', 'type'],
      ),
      loraAdapterDeploymentConfig: obj(
        {
          algorithm: { ...str, enum: ['default', 'ordered', 'equalized'], default: LORA_ADAPTER_DEFAULTS.algorithm },
          replicas: { ...int32, minimum: 0 },
        },
        ['algorithm'],
      ),
    },
    ['adapterSource', 'baseModel'],
  ),
  status: obj({
    phase: str,
    message: str,
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    conditions: {
      type: 'array',
      items: obj(
        {
          // metav1.Condition's type: an optional DNS-subdomain prefix and '/', then a qualified name
          type: {
            ...str,
            maxLength: 316,
            pattern:
              '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
          },
          status: { ...str, enum: ['True', 'False', 'Unknown'] },
          reason: { ...str, minLength: 1, maxLength: 1024 },
          message: { ...str, maxLength: 32768 },
          lastTransitionTime: { ...str, format: 'date-time' },
        },
        ['lastTransitionTime', 'message', 'reason', 'status', 'type'],
      ),
    },
    loadedAdapters: {
      type: 'array',
      items: obj(
        {
          name: str,
          path: str,
          status: str,
          loadTime: { ...str, format: 'date-time' },
          podAssignments: obj({ namespace: str, podName: str }, ['namespace', 'podName']),
        },
        ['name', 'path', 'podAssignments', 'status'],
      ),
    },
  }),
});

/** The CustomResourceDefinition of LoraAdapter (cluster-scoped; one per cluster, shared by every release). */
export class LoraAdapterCrd extends Construct {
  /** The CRD in the chart of `scope`, created on first use (a chart holds it once, whatever the releases in it). */
  public static of(scope: Construct): LoraAdapterCrd {
    const chart = Chart.of(scope);
    const existing = chart.node.tryFindChild('LoraAdapterCrd');
    return existing instanceof LoraAdapterCrd ? existing : new LoraAdapterCrd(chart, 'LoraAdapterCrd');
  }

  public readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    requireUniqueObjects(this);
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: {
        name: LORA_ADAPTER_CRD_NAME,
        labels: { 'app.kubernetes.io/name': 'lora-adapter-crd', 'app.kubernetes.io/component': 'lora-adapter-crd' },
      },
      spec: {
        group: LORA_ADAPTER_GROUP,
        names: {
          kind: LORA_ADAPTER_KIND,
          listKind: `${LORA_ADAPTER_KIND}List`,
          plural: 'loraadapters',
          singular: 'loraadapter',
        },
        scope: 'Namespaced',
        versions: [
          {
            name: LORA_ADAPTER_VERSION,
            served: true,
            storage: true,
            subresources: { status: {} },
            additionalPrinterColumns: [
              { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
              { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            ],
            schema: { openAPIV3Schema: LORA_ADAPTER_SCHEMA },
          },
        ],
      },
    });
  }
}
