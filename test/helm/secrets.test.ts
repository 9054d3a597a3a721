/**
 * No secret in a generated chart or in any output, under real Helm 3.18.0 and 4.1.4: values with literal tokens
 * compile into a chart that holds none of them, takes them at install time (the values file again, `--set`,
 * `--set-file`, or an existing Secret by name), and never prints one — `pdstack chart`, `helm template`,
 * `helm install --dry-run` and the guard's failures included.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { helmBinary, type HelmMajor } from '../setup/helm.js';
import { pdstack, type CliResult } from '../support/cli.js';
import { container, helm, helmTemplate, synth, type HelmResult } from './support.js';

vi.setConfig({ testTimeout: 180_000 });

const WORK = mkdtempSync(join(tmpdir(), 'pdstack-secrets-test-'));
const API_KEY = 'sk-ENGINEKEY-1234';
const HF_TOKEN = 'hf_MODELTOKEN5678';
const OTHER_API_KEY = 'sk-OTHERKEY-9876';
const ROUTER_TOKEN = 'hf_ROUTERTOKEN4321';
const TOKENS = [API_KEY, HF_TOKEN, OTHER_API_KEY, ROUTER_TOKEN];

/** The roundrobin fixture (two engines, a router) with a literal API key and a literal token for model 0. */
const VALUES = join(WORK, 'tokens.yaml');
/** The same with other compiled-in values and another API key. */
const OTHER_VALUES = join(WORK, 'other.yaml');
const CHART = join(WORK, 'chart');
let chartRun: CliResult;
const binaries = {} as Record<HelmMajor, string>;

function writeValues(file: string, edit: (values: Record<string, any>) => void): void {
  const values = load(readFileSync(join(__dirname, 'fixtures', 'roundrobin-chat-template.yaml'), 'utf8')) as Record<
    string,
    any
  >;
  values['servingEngineSpec']['vllmApiKey'] = API_KEY;
  values['servingEngineSpec']['modelSpec'][0]['hf_token'] = HF_TOKEN;
  edit(values);
  writeFileSync(file, dump(values));
}

beforeAll(async () => {
  const [h3, h4] = await Promise.all([helmBinary(3), helmBinary(4)]);
  binaries[3] = h3;
  binaries[4] = h4;
  writeValues(VALUES, () => {});
  writeValues(OTHER_VALUES, (v) => {
    v['servingEngineSpec']['vllmApiKey'] = OTHER_API_KEY;
    v['servingEngineSpec']['modelSpec'][0]['vllmConfig']['maxModelLen'] = 2048;
    v['routerSpec']['routingLogic'] = 'session';
    v['routerSpec']['sessionKey'] = 'x-user';
  });
  chartRun = pdstack(['chart', '-f', VALUES, '-o', CHART]);
  if (chartRun.status !== 0) throw new Error(`pdstack chart failed: ${chartRun.stderr}`);
}, 600_000);

/** Every token found in `text`, as text or base64 (should be none). */
const leaked = (text: string): string[] =>
  TOKENS.flatMap((t) => [t, Buffer.from(t).toString('base64')]).filter((t) => text.includes(t));
/** Every token found in stdout or stderr, as text (a rendered Secret's data is base64, as Kubernetes takes it). */
const printed = (r: HelmResult | CliResult): string[] => TOKENS.filter((t) => (r.stdout + r.stderr).includes(t));

const filesOf = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesOf(join(dir, f)) : [join(dir, f)]));

describe('pdstack chart', () => {
  test('writes no token into any file of the chart, as text or base64', () => {
    const files = filesOf(CHART);
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) expect([file, leaked(readFileSync(file, 'utf8'))]).toEqual([file, []]);
  });

  test('prints no token, and says in one warning line which keys to give at install time and how', () => {
    expect(printed(chartRun)).toEqual([]);
    const warnings = chartRun.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(warnings).toEqual([
      'pdstack: warning: servingEngineSpec.vllmApiKey, servingEngineSpec.modelSpec[0].hf_token: secrets are not written into the chart; give each at install time with -f the values file, --set-file KEY=FILE, or an existing Secret: --set KEY.secretName=NAME,KEY.secretKey=KEY',
    ]);
  });

  test('values.yaml keeps the models but not the secrets; README.md names them', () => {
    const values = load(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, any>;
    expect(values['servingEngineSpec']['modelSpec'][0]['name']).toBe('opt');
    expect(values['servingEngineSpec']).not.toHaveProperty('vllmApiKey');
    expect(values['servingEngineSpec']['modelSpec'][0]).not.toHaveProperty('hf_token');
    expect(readFileSync(join(CHART, 'README.md'), 'utf8')).toContain(
      'Give `servingEngineSpec.vllmApiKey`, `servingEngineSpec.modelSpec[0].hf_token` at install time, each',
    );
  });
});

describe.each([3, 4] as const)('Helm %i', (major) => {
  const bin = (): string => binaries[major];
  const template = (args: string[]): HelmResult => helm(bin(), ['template', 'pd', CHART, ...args]);

  test('-f the same values: renders as pdstack synth does (Secret data included), printing no token', () => {
    const r = template(['-f', VALUES]);
    expect(r.status).toBe(0);
    expect(printed(r)).toEqual([]);
    const { objects } = helmTemplate(bin(), 'pd', CHART, ['-f', VALUES]);
    expect(objects).toEqual(synth(VALUES, 'pd'));
    expect((objects.get('Secret/pd-secrets') as Record<string, any>)['data']).toEqual({
      vllmApiKey: Buffer.from(API_KEY).toString('base64'),
      hf_token_opt: Buffer.from(HF_TOKEN).toString('base64'),
    });
  });

  test('-f other values: one failure listing every differing key, no token printed', () => {
    const r = template(['-f', OTHER_VALUES]);
    expect(r.status).not.toBe(0);
    expect(printed(r)).toEqual([]);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('- '));
    expect(lines).toEqual([
      '- routerSpec.routingLogic is compiled into this chart as "roundrobin", the given values say "session"',
      '- routerSpec.sessionKey is compiled into this chart as (not set), the given values say "x-user"',
      '- servingEngineSpec.modelSpec[0].vllmConfig.maxModelLen is compiled into this chart as 1024, the given values say 2048',
    ]);
  });

  test('a secret the chart was not compiled with is a difference named by its key alone', () => {
    const r = template(['-f', VALUES, '--set', `routerSpec.hf_token=${ROUTER_TOKEN}`]);
    expect(r.status).not.toBe(0);
    expect(printed(r)).toEqual([]);
    expect(r.stderr).toContain(
      '- routerSpec.hf_token is a secret that differs from the one compiled into this chart (values not shown)',
    );
  });

  test('a secret missing at install time fails naming the key and how to give it, never a value', () => {
    const r = template([]);
    expect(r.status).not.toBe(0);
    expect(printed(r)).toEqual([]);
    expect(r.stderr).toMatch(
      /(servingEngineSpec\.vllmApiKey|servingEngineSpec\.modelSpec\[0\]\.hf_token) is a secret, which pdstack never writes into a chart: give it at install time with -f the values file, --set-file \1=FILE, or an existing Secret: --set \1\.secretName=NAME,\1\.secretKey=KEY/,
    );
  });

  test('--set literals go into the release Secret, referenced by every container', () => {
    const args = [
      '--set',
      `servingEngineSpec.vllmApiKey=${OTHER_API_KEY}`,
      '--set',
      `servingEngineSpec.modelSpec[0].hf_token=${HF_TOKEN}`,
    ];
    const r = template(args);
    expect(r.status).toBe(0);
    expect(printed(r)).toEqual([]);
    const { objects } = helmTemplate(bin(), 'pd', CHART, args);
    expect((objects.get('Secret/pd-secrets') as Record<string, any>)['data']).toEqual({
      vllmApiKey: Buffer.from(OTHER_API_KEY).toString('base64'),
      hf_token_opt: Buffer.from(HF_TOKEN).toString('base64'),
    });
    const env = (deployment: string, name: string): unknown =>
      (container(objects.get(`Deployment/${deployment}`), name)['env'] as Array<Record<string, unknown>>).find(
        (e) => e['name'] === 'VLLM_API_KEY',
      );
    const apiKey = { name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { name: 'pd-secrets', key: 'vllmApiKey' } } };
    expect(env('pd-opt-deployment-vllm', 'vllm')).toEqual(apiKey);
    expect(env('pd-qwen-deployment-vllm', 'vllm')).toEqual(apiKey);
    expect(env('pd-deployment-router', 'router-container')).toEqual(apiKey);
  });

  test('--set-file: the file content, its trailing newline dropped', () => {
    const keyFile = join(WORK, `api-key-${major}`);
    writeFileSync(keyFile, `${OTHER_API_KEY}\n`);
    const args = [
      '--set-file',
      `servingEngineSpec.vllmApiKey=${keyFile}`,
      '--set',
      `servingEngineSpec.modelSpec[0].hf_token=${HF_TOKEN}`,
    ];
    const r = template(args);
    expect(printed(r)).toEqual([]);
    const { objects } = helmTemplate(bin(), 'pd', CHART, args);
    expect((objects.get('Secret/pd-secrets') as Record<string, any>)['data']['vllmApiKey']).toBe(
      Buffer.from(OTHER_API_KEY).toString('base64'),
    );
  });

  test('an existing Secret by name: referenced as is, nothing stored in the release Secret', () => {
    const { objects } = helmTemplate(bin(), 'pd', CHART, [
      '--set',
      'servingEngineSpec.vllmApiKey.secretName=api-keys,servingEngineSpec.vllmApiKey.secretKey=engines',
      '--set',
      'servingEngineSpec.modelSpec[0].hf_token.secretName=hf,servingEngineSpec.modelSpec[0].hf_token.secretKey=token',
    ]);
    expect((objects.get('Secret/pd-secrets') as Record<string, any>)['data']).toEqual({});
    const env = container(objects.get('Deployment/pd-opt-deployment-vllm'), 'vllm')['env'] as Array<
      Record<string, any>
    >;
    expect(env.find((e) => e['name'] === 'HF_TOKEN')).toEqual({
      name: 'HF_TOKEN',
      valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } },
    });
    expect(env.find((e) => e['name'] === 'VLLM_API_KEY')).toEqual({
      name: 'VLLM_API_KEY',
      valueFrom: { secretKeyRef: { name: 'api-keys', key: 'engines' } },
    });
    const router = container(objects.get('Deployment/pd-deployment-router'), 'router-container')['env'] as Array<
      Record<string, any>
    >;
    expect(router.find((e) => e['name'] === 'VLLM_API_KEY')?.['valueFrom']['secretKeyRef']).toEqual({
      name: 'api-keys',
      key: 'engines',
    });
  });

  if (major === 4) {
    test.each([
      ['-f the same values', ['-f', VALUES]],
      ['-f other values', ['-f', OTHER_VALUES]],
      [
        '--set',
        [
          '--set',
          `servingEngineSpec.vllmApiKey=${API_KEY}`,
          '--set',
          `servingEngineSpec.modelSpec[0].hf_token=${HF_TOKEN}`,
        ],
      ],
      ['nothing', []],
    ])('helm install --dry-run=client with %s prints no token', (_what, args) => {
      const r = helm(bin(), ['install', 'pd', CHART, ...args, '--dry-run=client']);
      expect(printed(r)).toEqual([]);
    });
  }
});

/** LoRA: an adapter's literal credentials (a secret, as hf_token) never reach the chart or an output either. */
describe('LoRA adapter credentials', () => {
  const LORA_TOKEN = 'hf_LORACREDENTIALS2468';
  const LORA_VALUES = join(WORK, 'lora-tokens.yaml');
  const LORA_CHART = join(WORK, 'lora-chart');
  const lora = (edit: (values: Record<string, any>) => void): string => {
    const values = load(readFileSync(join(__dirname, 'fixtures', 'lora.yaml'), 'utf8')) as Record<string, any>;
    values['loraAdapters'][1].adapterSource.credentials = LORA_TOKEN;
    edit(values);
    return dump(values);
  };
  const leakedLora = (text: string): boolean =>
    text.includes(LORA_TOKEN) || text.includes(Buffer.from(LORA_TOKEN).toString('base64'));
  let run: CliResult;

  beforeAll(() => {
    writeFileSync(
      LORA_VALUES,
      lora(() => {}),
    );
    run = pdstack(['chart', '-f', LORA_VALUES, '-o', LORA_CHART]);
    if (run.status !== 0) throw new Error(`pdstack chart failed: ${run.stderr}`);
  });

  test('pdstack chart writes them into no file and prints them nowhere; the warning names the key', () => {
    for (const file of filesOf(LORA_CHART))
      expect([file, leakedLora(readFileSync(file, 'utf8'))]).toEqual([file, false]);
    expect(leakedLora(run.stdout + run.stderr)).toBe(false);
    expect(run.stderr).toContain('loraAdapters[1].adapterSource.credentials');
  });

  test.each([3, 4] as const)(
    'Helm %i: -f the values puts them into the release Secret only; other credentials are a difference without values',
    (major) => {
      const { objects } = helmTemplate(binaries[major], 'pd', LORA_CHART, ['-f', LORA_VALUES]);
      const key = 'lora_adapter_credentials_llama-3.1-nemoguard-8b-topic-control';
      expect((objects.get('Secret/pd-secrets') as Record<string, any>)['data'][key]).toBe(
        Buffer.from(LORA_TOKEN).toString('base64'),
      );
      for (const o of objects.values()) if (o.kind !== 'Secret') expect(leakedLora(JSON.stringify(o))).toBe(false);
      const other = join(WORK, `lora-other-${major}.yaml`);
      writeFileSync(
        other,
        lora((v) => {
          v['loraAdapters'][1].adapterSource.credentials = `${LORA_TOKEN}-other`;
          v['loraAdapters'][1].adapterSource.repository = 'nvidia/other';
        }),
      );
      const r = helm(binaries[major], ['template', 'pd', LORA_CHART, '-f', other]);
      expect(r.status).not.toBe(0);
      expect(leakedLora(r.stdout + r.stderr)).toBe(false);
      expect(r.stderr).toContain('- loraAdapters[1].adapterSource.repository is compiled into this chart as');
    },
  );
});
