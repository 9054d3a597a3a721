import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isClusterScoped, validateKubeObject, type KubeObject } from '../support/kube-validate.js';
import { envMap, find, vllmContainer } from '../support/synth.js';
import { EXAMPLE_VALUES_FILE, REPO } from '../support/values.js';

const EXAMPLE = join(REPO, 'charts', 'example', 'library.ts');
/** The import the README shows: the package name, where the file in this repository imports the sources. */
const README_IMPORT = "from 'pdstack';";
const FILE_IMPORT = "from '../../constructs/index.js';";

/** The README's ```ts block under "Using the constructs in your own cdk8s app". */
function readmeExample(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.split('## Using the constructs in your own cdk8s app')[1] ?? '';
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error('README has no ts block in "Using the constructs in your own cdk8s app"');
  return block[1];
}

describe('the README library example (charts/example/library.ts)', () => {
  let dir: string;
  let objects: KubeObject[];
  const cwd = process.cwd();
  const outdir = process.env.CDK8S_OUTDIR;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pdstack-library-'));
    copyFileSync(EXAMPLE_VALUES_FILE, join(dir, 'values.yaml'));
    process.chdir(dir);
    process.env.CDK8S_OUTDIR = join(dir, 'dist');
    await import(EXAMPLE);
    objects = loadAll(readFileSync(join(dir, 'dist', 'llm.k8s.yaml'), 'utf8')) as KubeObject[];
  });
  afterAll(() => {
    process.chdir(cwd);
    if (outdir === undefined) delete process.env.CDK8S_OUTDIR;
    else process.env.CDK8S_OUTDIR = outdir;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is what the README shows, with the package name in the import', () => {
    const file = readFileSync(EXAMPLE, 'utf8');
    expect(file).toContain(FILE_IMPORT);
    expect(readmeExample()).toBe(file.replace(FILE_IMPORT, README_IMPORT));
  });

  it("writes the values file's stack and the engine built in code, each object once, in namespace llm", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Deployment/pd-bge-embed-deployment-vllm',
      'Deployment/pd-deployment-router',
      'Deployment/pd-llama-decode-deployment-vllm',
      'Deployment/pd-llama-prefill-deployment-vllm',
      'PersistentVolumeClaim/pd-bge-embed-storage-claim',
      'PersistentVolumeClaim/pd-llama-decode-storage-claim',
      'PersistentVolumeClaim/pd-llama-prefill-storage-claim',
      'Role/pd-reader',
      'RoleBinding/pd-deployment-access-binding',
      'Secret/pd-secrets',
      'Service/pd-bge-embed-engine-service',
      'Service/pd-llama-decode-engine-service',
      'Service/pd-llama-prefill-engine-service',
      'Service/pd-router-service',
      'ServiceAccount/pd-router-service-account',
      'ValidatingAdmissionPolicy/pd-llm-router-sleeping-label',
      'ValidatingAdmissionPolicyBinding/pd-llm-router-sleeping-label',
    ]);
    for (const o of objects) {
      expect(o.metadata.namespace).toBe(isClusterScoped(o) ? undefined : 'llm');
      validateKubeObject(o);
    }
  });

  it('renders the engine built in code with its model, GPU and the labels the router discovers engines by', () => {
    const deployment = find(objects, 'Deployment', 'pd-bge-embed-deployment-vllm');
    const c = vllmContainer(deployment);
    expect(c.command.slice(0, 3)).toEqual(['vllm', 'serve', 'BAAI/bge-base-en-v1.5']);
    expect(c.command.slice(-2)).toEqual(['--max-model-len', '512']);
    expect(envMap(c)['HF_TOKEN']).toBe('<secret:hf-token/token>');
    expect(c.resources).toEqual({
      requests: { cpu: '4', memory: '16Gi', 'nvidia.com/gpu': '1' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject({
      model: 'bge-embed',
      'app.kubernetes.io/instance': 'pd',
    });
    expect(envMap(c)['HF_HOME']).toBe('/data');
    expect(deployment.spec.template.spec.tolerations).toEqual([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    expect(find(objects, 'PersistentVolumeClaim', 'pd-bge-embed-storage-claim').spec).toMatchObject({
      storageClassName: 'fast',
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
    });
    const router = find(objects, 'Deployment', 'pd-deployment-router').spec.template.spec.containers[0];
    expect(router.args).toContain('--k8s-namespace');
    expect(router.args[router.args.indexOf('--k8s-namespace') + 1]).toBe('llm');
  });
});
