import { describe, expect, it } from 'vitest';
import { diagnose, fixture, only, variant, where } from './helpers.js';

/** simple-ok.yaml's model with LoRA on and runtime loading allowed, a controller, and `adapters` (YAML lines). */
const BASE = variant(
  fixture('simple-ok.yaml'),
  [
    '      vllmConfig:',
    '      enableLoRA: true\n      env:\n        - name: VLLM_ALLOW_RUNTIME_LORA_UPDATING\n          value: "True"\n      vllmConfig:',
  ],
  ['routerSpec:', 'loraController:\n  enableLoraController: true\nrouterSpec:'],
);
const ADAPTER = [
  '  - name: sql',
  '    baseModel: llama',
  '    adapterSource:',
  '      type: huggingface',
  '      adapterName: sql-lora',
  '      repository: org/sql-lora',
];
const withAdapters = (...adapters: string[][]): string => `${BASE}loraAdapters:\n${adapters.flat().join('\n')}\n`;
const edit = (from: string, to: string): string[] => ADAPTER.map((l) => (l === from ? to : l));

describe('checks of meaning: loraController and loraAdapters', () => {
  it('a controller with an adapter for a LoRA model that allows runtime loading has no diagnostics', () => {
    expect(diagnose(withAdapters(ADAPTER))).toEqual([]);
  });

  it.each([
    [
      'an invalid name',
      [edit('  - name: sql', '  - name: SQL_adapter')],
      '22:5 error loraAdapters[0].name',
      /^LoraAdapter name `SQL_adapter` is not a valid DNS subdomain: /,
    ],
    [
      'a name used twice',
      [ADAPTER, edit('      adapterName: sql-lora', '      adapterName: other')],
      '28:5 error loraAdapters[1].name',
      /already loraAdapters\[0\]/,
    ],
    [
      'a local source without adapterPath',
      [
        edit('      repository: org/sql-lora', '      adapterPath: ""').map((l) =>
          l === '      type: huggingface' ? '      type: local' : l,
        ),
      ],
      '25:7 error loraAdapters[0].adapterSource.type',
      /a local adapter needs adapterSource.adapterPath/,
    ],
    [
      'a baseModel of no model',
      [edit('    baseModel: llama', '    baseModel: lama')],
      '23:5 warning loraAdapters[0].baseModel',
      /`lama` is no enabled model of this release \(models: llama\)/,
    ],
    [
      'labels where production-stack reads none',
      [[...ADAPTER, '    loraAdapterDeploymentConfig:', '      labels: {team: ml}']],
      '29:7 warning loraAdapters[0].loraAdapterDeploymentConfig.labels',
      /not read: .*move them up/,
    ],
    [
      'literal credentials whose adapterName is no Secret key',
      [[...edit('      adapterName: sql-lora', '      adapterName: sql lora'), '      credentials: tok-abc']],
      '26:7 error loraAdapters[0].adapterSource.adapterName',
      /`lora_adapter_credentials_sql lora`, which is not a Secret key/,
    ],
  ])('%s', (_what, adapters, at, message) => {
    const d = only(withAdapters(...adapters));
    expect(where(d)).toBe(at);
    expect(d.message).toMatch(message);
  });

  it('has no labels warning for empty loraAdapterDeploymentConfig.labels or a disabled adapter', () => {
    const placement = ['    loraAdapterDeploymentConfig:', '      labels: {team: ml}'];
    const disabled = [...edit('  - name: sql', '  - name: off'), '    enabled: false', ...placement];
    const empty = [...ADAPTER, '    loraAdapterDeploymentConfig:', '      labels: {}'];
    expect(diagnose(withAdapters(disabled, empty))).toEqual([]);
  });

  it('two adapters of one adapterName with other literal credentials: an error that prints neither value', () => {
    const d = only(
      withAdapters(
        [...ADAPTER, '      credentials: tok-one'],
        [...edit('  - name: sql', '  - name: sql2'), '      credentials: tok-two'],
      ),
    );
    expect(where(d)).toBe('35:7 error loraAdapters[1].adapterSource.credentials');
    expect(d.message).not.toMatch(/tok-/);
  });

  it('warns when no controller loads the adapters, when the model serves no LoRA, and when it cannot load at runtime', () => {
    const noController = variant(withAdapters(ADAPTER), [
      '  enableLoraController: true',
      '  enableLoraController: false',
    ]);
    expect(diagnose(noController).map((d) => `${where(d)} ${d.message.slice(0, 30)}`)).toEqual([
      '22:5 warning loraAdapters[0].name no LoRA controller is rendered',
    ]);
    const noLora = variant(withAdapters(ADAPTER), ['      enableLoRA: true\n', '']);
    expect(only(noLora).message).toMatch(/served without --enable-lora/);
    const noEnv = variant(withAdapters(ADAPTER), ['name: VLLM_ALLOW_RUNTIME_LORA_UPDATING', 'name: OTHER']);
    expect(only(noEnv).message).toMatch(/has no VLLM_ALLOW_RUNTIME_LORA_UPDATING in its env/);
  });

  it('warns that the webhook certificate Secret is not rendered', () => {
    const text = variant(BASE, [
      '  enableLoraController: true',
      '  enableLoraController: true\n  webhook: {enabled: true}',
    ]);
    const d = only(text);
    expect(where(d)).toBe('19:13 warning loraController.webhook.enabled');
    expect(d.message).toMatch(/`pd-lora-controller-webhook-server-cert`/);
  });

  it('the schema is strict, with a did-you-mean, and fills in production-stack defaults', () => {
    const d = only(variant(BASE, ['  enableLoraController: true', '  enableLoraController: true\n  replicaCont: 2']));
    expect(where(d)).toBe('19:3 error loraController.replicaCont');
    expect(d.message).toMatch(/did you mean `replicaCount`/);
  });
});
