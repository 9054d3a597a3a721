import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { LORA_ADAPTER_SCHEMA, LoraAdapter, LoraAdapterCrd } from '../../constructs/lora-adapter.js';
import { SecretSource } from '../../constructs/release-secret.js';
import type { LoraAdapter as LoraAdapterValues, PdstackValues } from '../../schema/values.generated.js';
import { BASE_MODEL } from '../support/engine.js';
import { PRODUCTION_STACK_LORA_ADAPTER_SCHEMA, validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { find, loraStack, synthStack } from '../support/synth.js';

const ADAPTER: LoraAdapterValues = {
  name: 'sql-adapter',
  baseModel: 'opt',
  adapterSource: { type: 'local', adapterName: 'sql-lora', adapterPath: '/data/shared-pvc-storage/lora-adapters/sql' },
  loraAdapterDeploymentConfig: { algorithm: 'default', replicas: 1 },
};

const render = (values: PdstackValues): KubeObject[] => loraStack(values);

const secretData = (objects: KubeObject[]): Record<string, string> =>
  Object.fromEntries(
    Object.entries((find(objects, 'Secret', 'vllm-secrets').data ?? {}) as Record<string, string>).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString(),
    ]),
  );

describe('LoraAdapter', () => {
  it("renders production-stack's LoraAdapter resource, valid against pdstack's CRD", () => {
    const objects = render({ loraAdapters: [{ ...ADAPTER, labels: { team: 'ml' } }] });
    expect(find(objects, 'LoraAdapter', 'sql-adapter')).toEqual({
      apiVersion: 'production-stack.vllm.ai/v1alpha1',
      kind: 'LoraAdapter',
      metadata: {
        name: 'sql-adapter',
        namespace: 'llm',
        labels: { 'app.kubernetes.io/component': 'lora-adapter', 'helm-release-name': 'vllm', team: 'ml' },
      },
      spec: {
        baseModel: 'opt',
        adapterSource: {
          type: 'local',
          adapterName: 'sql-lora',
          adapterPath: '/data/shared-pvc-storage/lora-adapters/sql',
        },
        loraAdapterDeploymentConfig: { algorithm: 'default', replicas: 1 },
      },
    });
  });

  it("leaves out replicas 0, as production-stack's template does", () => {
    const objects = render({
      loraAdapters: [{ ...ADAPTER, loraAdapterDeploymentConfig: { algorithm: 'ordered', replicas: 0 } }],
    });
    expect(find(objects, 'LoraAdapter', 'sql-adapter').spec.loraAdapterDeploymentConfig).toEqual({
      algorithm: 'ordered',
    });
  });

  it('keeps literal credentials in the release Secret and references them; a reference is used as is', () => {
    const hf = {
      name: 'hf',
      baseModel: 'opt',
      adapterSource: {
        type: 'huggingface' as const,
        adapterName: 'nemoguard',
        repository: 'nvidia/x',
        credentials: 'tok-1',
      },
    };
    const objects = render({
      loraAdapters: [
        hf,
        { ...ADAPTER, adapterSource: { ...ADAPTER.adapterSource, credentials: { secretName: 's', secretKey: 'k' } } },
      ],
    });
    const literal = find(objects, 'LoraAdapter', 'hf');
    expect(literal.spec.adapterSource.credentialsSecretRef).toEqual({
      name: 'vllm-secrets',
      key: 'lora_adapter_credentials_nemoguard',
    });
    expect(JSON.stringify(literal)).not.toContain('tok-1');
    expect(secretData(objects)['lora_adapter_credentials_nemoguard']).toBe('tok-1');
    expect(find(objects, 'LoraAdapter', 'sql-adapter').spec.adapterSource.credentialsSecretRef).toEqual({
      name: 's',
      key: 'k',
    });
  });

  it("takes the adapter's own API key reference, else servingEngineSpec.vllmApiKey's, else none", () => {
    const own = { ...ADAPTER, vllmApiKey: { secretName: 'a', secretKey: 'b' } };
    const key = (values: PdstackValues, adapter = ADAPTER): unknown =>
      find(
        synthStack({ ...values, loraAdapters: [adapter], routerSpec: { enableRouter: false } }, 'vllm', 'llm'),
        'LoraAdapter',
        'sql-adapter',
      ).spec.vllmApiKey;
    const engines = (vllmApiKey: unknown): PdstackValues => ({
      servingEngineSpec: { vllmApiKey: vllmApiKey as string, modelSpec: [BASE_MODEL] },
    });
    expect(key(engines({ secretName: 'x', secretKey: 'y' }), own)).toEqual({ secretName: 'a', secretKey: 'b' });
    expect(key(engines({ secretName: 'x', secretKey: 'y' }))).toEqual({ secretName: 'x', secretKey: 'y' });
    expect(key(engines('k-1'))).toEqual({ secretName: 'vllm-secrets', secretKey: 'vllmApiKey' });
    expect(key(engines(''))).toBeUndefined();
    expect(key({})).toBeUndefined();
  });

  it('renders no disabled adapter, and the CRD once, before the resources (kubectl apply creates in file order)', () => {
    const objects = render({
      loraAdapters: [ADAPTER, { ...ADAPTER, name: 'off', enabled: false }, { ...ADAPTER, name: 'b' }],
    });
    expect(objects.filter((o) => o.kind === 'LoraAdapter').map((o) => o.metadata.name)).toEqual(['sql-adapter', 'b']);
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(crds.map((o) => o.metadata.name)).toEqual(['loraadapters.production-stack.vllm.ai']);
    expect(objects.indexOf(crds[0]!)).toBeLessThan(objects.findIndex((o) => o.kind === 'LoraAdapter'));
    expect(
      render({ loraAdapters: [{ ...ADAPTER, enabled: false }] }).some((o) => o.kind === 'CustomResourceDefinition'),
    ).toBe(false);
  });

  it("the CRD declares production-stack's group, names, version and spec fields", () => {
    const crd = find(
      render({ loraAdapters: [ADAPTER] }),
      'CustomResourceDefinition',
      'loraadapters.production-stack.vllm.ai',
    );
    expect(crd.spec.group).toBe('production-stack.vllm.ai');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toEqual({
      kind: 'LoraAdapter',
      listKind: 'LoraAdapterList',
      plural: 'loraadapters',
      singular: 'loraadapter',
    });
    const [version] = crd.spec.versions;
    expect([version.name, version.served, version.storage, version.subresources]).toEqual([
      'v1alpha1',
      true,
      true,
      { status: {} },
    ]);
    const spec = version.schema.openAPIV3Schema.properties.spec;
    expect(spec.required).toEqual(['adapterSource', 'baseModel']);
    // synth sorts keys
    expect(Object.keys(spec.properties.adapterSource.properties)).toEqual([
      'adapterName',
      'adapterPath',
      'credentialsSecretRef',
      'maxAdapters',
      'pattern',
      'repository',
      'type',
    ]);
    // the placement algorithm's default is the values schema's (LORA_ADAPTER_DEFAULTS)
    expect(spec.properties.loraAdapterDeploymentConfig.properties.algorithm).toEqual({
      type: 'string',
      enum: ['default', 'ordered', 'equalized'],
      default: 'default',
    });
  });

  it("the tests' CRD validation refuses a field the CRD does not declare (the API server would prune it)", () => {
    const [resource] = render({ loraAdapters: [ADAPTER] }).filter((o) => o.kind === 'LoraAdapter');
    const bad = structuredClone(resource!) as KubeObject & { spec: Record<string, unknown> };
    bad.spec['baseModle'] = 'opt';
    expect(() => validateKubeObject(bad)).toThrow(/additionalProperties/);
  });

  it('checks its invariants in the constructor', () => {
    const chart = new Chart(Testing.app(), 'c');
    const props = {
      release: 'vllm',
      name: 'a',
      baseModel: 'opt',
      source: { type: 'local' as const, adapterName: 'x' },
    };
    expect(() => new LoraAdapter(chart, 'a', props)).toThrow('LoraAdapter a: a local source needs source.adapterPath');
    expect(
      () => new LoraAdapter(chart, 'b', { ...props, name: 'Bad_Name', source: { type: 's3', adapterName: 'x' } }),
    ).toThrow(
      "LoraAdapter Bad_Name: name is not a valid DNS subdomain: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
    );
    expect(
      () =>
        new LoraAdapter(chart, 'c', {
          ...props,
          source: { type: 's3', adapterName: 'a b' },
          credentials: SecretSource.literal('t'),
        }),
    ).toThrow(
      "LoraAdapter a: literal credentials are kept in the release Secret under `lora_adapter_credentials_a b`, which is not a Secret key (letters, digits, '-', '_', '.') (source.adapterName `a b`)",
    );
    expect(() => new LoraAdapter(chart, 'd', { ...props, namespace: 'Team_A' })).toThrow(/^LoraAdapter: /);
    expect(
      () => new LoraAdapter(chart, 'e', { ...props, source: { ...props.source, adapterPath: '/p', maxAdapters: 0 } }),
    ).toThrow('LoraAdapter a: source.maxAdapters: 0 is not a whole number of at least 1');
    expect(LoraAdapterCrd.of(chart)).toBe(LoraAdapterCrd.of(chart));
  });
});

describe('LoraAdapterCrd', () => {
  it("declares production-stack's LoraAdapter schema (descriptions aside), so its controller reads the same fields", () => {
    const withoutDescriptions = (node: unknown): unknown =>
      Array.isArray(node)
        ? node.map(withoutDescriptions)
        : node !== null && typeof node === 'object'
          ? Object.fromEntries(
              Object.entries(node)
                .filter(([key]) => key !== 'description')
                .map(([key, value]) => [key, withoutDescriptions(value)]),
            )
          : node;
    expect(withoutDescriptions(LORA_ADAPTER_SCHEMA)).toEqual(PRODUCTION_STACK_LORA_ADAPTER_SCHEMA);
  });
});
