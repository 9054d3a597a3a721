/**
 * What the generated chart tells people: `templates/NOTES.txt` (how to reach the router, as in the P/D
 * tutorial), the `helm test` hook Pod (the router's `/health` and `/v1/models`), and `README.md` with a Mermaid
 * diagram of the topology (with the InferencePools of the pdstack extension, when enabled). Names come from `schema/facts/names.ts`, with the release given by the caller (the
 * sentinel for templates, `pd` for the README).
 */
import {
  CACHE_SERVER_DEFAULTS,
  ENGINE_DEFAULTS,
  INFERENCE_POOL_DEFAULTS,
  ROUTER_DEFAULTS,
} from '../../constructs/defaults.js';
import { commaList } from '../../schema/facts/comma-list.js';
import { COMPONENT_LABEL, INSTANCE_LABEL, PART_OF, PART_OF_LABEL } from '../../schema/facts/labels.js';
import * as names from '../../schema/facts/names.js';
import { getsInferencePool } from '../../schema/facts/inference-pool.js';
import { ZMQ_PORT } from '../../schema/facts/ports.js';
import { isRayModel } from '../../schema/facts/ray.js';
import { renderedModels, routerEnabled } from '../../schema/rendered.js';
import type { ModelSpec, PdstackValues } from '../../schema/values.generated.js';
import { howToGive } from './secrets.js';

/** The image of the `helm test` Pod. */
export const TEST_IMAGE = 'curlimages/curl:8.11.1';
/** The local port of the tutorial's `kubectl port-forward`. */
export const LOCAL_PORT = 30080;

type Role = 'prefill' | 'decode' | 'engine';

interface EngineView {
  readonly spec: Readonly<ModelSpec>;
  readonly role: Role;
}

/** The rendered engines (enabled models, when engines are enabled) with their P/D role. */
export function engines(values: Readonly<PdstackValues>): EngineView[] {
  return renderedModels(values).map(({ spec }) => {
    const c = spec.lmcacheConfig;
    const role: Role =
      c?.kvRole === 'kv_producer' || c?.nixlRole === 'sender'
        ? 'prefill'
        : c?.kvRole === 'kv_consumer' || c?.nixlRole === 'receiver'
          ? 'decode'
          : 'engine';
    return { spec, role };
  });
}

const routerServicePort = (values: Readonly<PdstackValues>): number =>
  values.routerSpec?.servicePort ?? ROUTER_DEFAULTS.servicePort;
const shellQuote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** NOTES.txt before templating: `release`/`namespace` are the sentinels. */
export function notesText(
  values: Readonly<PdstackValues>,
  release: string,
  namespace: string,
  version: string,
): string {
  const list = engines(values);
  const lines = [`pdstack ${version}: release ${release} in namespace ${namespace}.`, ''];
  if (list.length > 0) {
    lines.push('Engines (kubectl get pods -n ' + namespace + ' -l ' + INSTANCE_LABEL + '=' + release + '):');
    for (const { spec, role } of list)
      lines.push(
        `  ${role.padEnd(7)} ${(isRayModel(spec) ? names.rayClusterName : names.engineDeploymentName)(release, spec.name)} serving ${spec.modelURL}`,
      );
    lines.push('');
  }
  if (routerEnabled(values)) {
    const service = names.routerServiceName(release);
    const staticModel =
      values.routerSpec?.serviceDiscovery === 'static' ? commaList(values.routerSpec.staticModels)[0] : undefined;
    const model =
      list.find((e) => e.role === 'decode')?.spec.modelURL ?? list[0]?.spec.modelURL ?? staticModel ?? 'MODEL';
    const body = JSON.stringify({ model, prompt: 'Your prompt here', max_tokens: 100 });
    lines.push(
      'Reach the router (model loading takes minutes: wait for the engine pods to be ready):',
      `  kubectl port-forward -n ${namespace} svc/${service} ${LOCAL_PORT}:${routerServicePort(values)}`,
      `  curl http://localhost:${LOCAL_PORT}/v1/completions -H 'Content-Type: application/json' -d ${shellQuote(body)}`,
      '',
      "Check it from inside the cluster (the router's /health and /v1/models):",
      `  helm test ${release} -n ${namespace}`,
    );
  } else {
    lines.push('The router is disabled (routerSpec.enableRouter: false): reach the engines through their Services.');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The `helm test` hook Pod, or `undefined` without a router. `apiKeyEnv` is the router container's `VLLM_API_KEY` env
 * entry, if any: the router then wants the key on `/v1/models`, so the pod gets the same entry and sends it.
 */
export function testPod(
  values: Readonly<PdstackValues>,
  release: string,
  namespace: string,
  apiKeyEnv?: Readonly<Record<string, unknown>>,
): Record<string, unknown> | undefined {
  if (!routerEnabled(values)) return undefined;
  const url = `http://${names.routerServiceName(release)}.${namespace}:${routerServicePort(values)}`;
  const models = [...new Set(engines(values).map((e) => e.spec.modelURL))];
  const auth = apiKeyEnv ? ' -H "Authorization: Bearer $VLLM_API_KEY"' : '';
  const script = [
    `curl -fsS --retry 10 --retry-connrefused --retry-delay 3 ${url}/health`,
    `models=$(curl -fsS${auth} ${url}/v1/models)`,
    'echo "$models"',
    ...models.map((m) => `echo "$models" | grep -qF ${shellQuote(JSON.stringify(m))}`),
  ].join(' && ');
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${release}-router-test`,
      namespace,
      labels: {
        [INSTANCE_LABEL]: release,
        [COMPONENT_LABEL]: 'test',
        [PART_OF_LABEL]: PART_OF,
      },
      annotations: { 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' },
    },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'router-test',
          image: TEST_IMAGE,
          command: ['sh', '-c', script],
          ...(apiKeyEnv ? { env: [{ ...apiKeyEnv }] } : {}),
        },
      ],
    },
  };
}

/**
 * Text from values inside a quoted Mermaid label: Mermaid's entity codes for the characters that would end the
 * label (`"`), open HTML (`<`, `>`, `&`) or start an entity (`#`); line breaks become spaces (a line may not leave
 * the diagram's code fence).
 */
function mermaidText(text: string): string {
  const codes: Readonly<Record<string, string>> = {
    '#': '#35;',
    '"': '#quot;',
    '<': '#lt;',
    '>': '#gt;',
    '&': '#amp;',
  };
  return text.replace(/[#"<>&]/g, (c) => codes[c]!).replace(/[\r\n]+/g, ' ');
}

/** Text inside an HTML comment: nothing in it may end the comment. */
const commentText = (text: string): string => text.replace(/--!?>/g, (end) => end.replace('>', '&gt;'));

/** The README's section on the secrets read at install time (none: no section). */
function secretsSection(keys: readonly string[]): string {
  if (keys.length === 0) return '';
  return `
## Secrets

pdstack never writes a secret into a chart. Give ${keys.map((k) => `\`${k}\``).join(', ')} at install time, each
with ${howToGive('KEY')}. A literal goes into the Secret \`<release>-secrets\` (one trailing newline, as
\`--set-file\` leaves it, dropped); an existing Secret is referenced as is. Rendering fails, naming the key, when
one is missing.
`;
}

/** README.md of the chart, names shown for release `release`. */
export function readme(
  values: Readonly<PdstackValues>,
  options: { release: string; chartName: string; recompile: string; version: string; secrets: readonly string[] },
): string {
  const { release } = options;
  const list = engines(values);
  const enginePort = values.servingEngineSpec?.servicePort ?? ENGINE_DEFAULTS.servicePort;
  // Model ids are prefixed so that a model called `router`, `client`, `prefill` or `decode` is not another node.
  const id = (name: string): string => `model_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const node = (e: EngineView): string =>
    `  ${id(e.spec.name)}["${e.role === 'engine' ? '' : `${e.role} `}engine ${e.spec.name}<br/>svc ${names.engineServiceName(release, e.spec.name)}:${enginePort}<br/>${mermaidText(e.spec.modelURL)}"]`;
  const lines = ['```mermaid', 'flowchart LR', '  client(["client"])'];
  if (routerEnabled(values)) {
    const logic = values.routerSpec?.routingLogic ?? ROUTER_DEFAULTS.routingLogic;
    lines.push(
      `  router["router<br/>svc ${names.routerServiceName(release)}:${routerServicePort(values)}<br/>${logic}"]`,
      '  client --> router',
    );
  }
  const groups: Array<[Role, string]> = [
    ['prefill', 'prefill engines'],
    ['decode', 'decode engines'],
    ['engine', 'engines'],
  ];
  for (const [role, title] of groups) {
    const members = list.filter((e) => e.role === role);
    if (members.length === 0) continue;
    lines.push(`  subgraph ${role}["${title}"]`, ...members.map(node), '  end');
    if (routerEnabled(values))
      lines.push(
        ...members.map(
          (e) =>
            `  router -->|"${role === 'prefill' ? '1. prefill' : role === 'decode' ? '2. decode' : 'route'}"| ${id(e.spec.name)}`,
        ),
      );
  }
  for (const sender of list.filter((e) => e.spec.lmcacheConfig?.nixlRole === 'sender')) {
    const host = sender.spec.lmcacheConfig?.nixlPeerHost;
    const receiver = list.find((e) => host === names.engineServiceName(release, e.spec.name));
    const port = sender.spec.lmcacheConfig?.nixlPeerPort ?? ZMQ_PORT;
    if (receiver)
      lines.push(`  ${id(sender.spec.name)} -->|"KV cache over NIXL<br/>${host}:${port}"| ${id(receiver.spec.name)}`);
  }
  const pools = values.servingEngineSpec?.pdstackInferencePool;
  if (pools?.enabled) {
    const eppPort = pools.endpointPickerPort ?? INFERENCE_POOL_DEFAULTS.endpointPickerPort;
    lines.push('  gateway(["Gateway (Inference Extension)"])', '  client --> gateway');
    for (const e of list.filter((m) => getsInferencePool(m.spec))) {
      const pool = names.engineInferencePoolName(release, e.spec.name);
      lines.push(
        `  pool_${id(e.spec.name)}{{"InferencePool ${pool}<br/>EPP svc ${names.endpointPickerServiceName(pool)}:${eppPort}"}}`,
        `  gateway --> pool_${id(e.spec.name)}`,
        `  pool_${id(e.spec.name)} --> ${id(e.spec.name)}`,
      );
    }
  }
  if (values.cacheserverSpec?.enabled) {
    const port = values.cacheserverSpec.servicePort ?? CACHE_SERVER_DEFAULTS.servicePort;
    lines.push(`  cache[("LMCache cache server<br/>svc ${names.cacheServerServiceName(release)}:${port}")]`);
    for (const e of list.filter((m) => m.spec.lmcacheConfig?.enabled))
      lines.push(`  ${id(e.spec.name)} -->|"KV cache (LMCache remote)"| cache`);
  }
  lines.push('```');
  const scaled = list.filter((e) => e.spec.keda?.enabled).map((e) => `\`${e.spec.name}\``);
  const ray = list.filter((e) => isRayModel(e.spec)).map((e) => `\`${e.spec.name}\``);
  const rayNote =
    ray.length > 0
      ? ` ${ray.join(', ')} ${ray.length > 1 ? 'are KubeRay models' : 'is a KubeRay model'} (\`raySpec.enabled\`): its keys are all compiled in, these too (\`replicaCount\` is also the number of Ray nodes the head waits for).`
      : '';
  const kedaNote =
    scaled.length > 0
      ? ` KEDA scales ${scaled.join(', ')} (\`keda.enabled\`): the Deployment has no replicas, so its \`replicaCount\` has no effect.`
      : '';
  return `<!-- Generated by pdstack ${options.version}: do not edit. Regenerate with: ${commentText(options.recompile)} -->
# ${options.chartName}

A Helm chart generated by pdstack ${options.version} from a vLLM production-stack values file, with the same
constructs as \`pdstack synth\`. Regenerate it with:

    ${options.recompile}

## Topology

Names as \`helm install ${release} ...\` creates them; another release name replaces the \`${release}-\` prefix
everywhere (object names, labels, the router's engine selector, a NIXL sender's peer host).

${lines.join('\n')}

## Install

    helm install ${release} ./CHART_DIR
    helm test ${release}

## Values

\`values.yaml\` holds the compiled values, defaults filled in. At install time you may change, for each model
(\`servingEngineSpec.modelSpec[i]\`) \`replicaCount\`, \`repository\`, \`tag\`, \`resources\`, \`requestCPU\`,
\`requestMemory\` and \`requestGPU\`, and for the router (\`routerSpec\`) \`replicaCount\`, \`repository\`, \`tag\` and
\`resources\`, e.g. \`--set servingEngineSpec.modelSpec[1].replicaCount=3\` or \`--set routerSpec.tag=v2\`.${kedaNote}${rayNote}
Everything else is compiled in: if the given values differ anywhere else, rendering fails with the key path, the
compiled and the given value, and the command above to recompile. A key that is null on one side and absent on the
other is no difference (Helm and the templates read both as not set).

Helm's \`--set\` on a list index replaces the whole list (\`[null, {replicaCount: 3}]\`), so in this chart's
\`values.schema.json\` a \`modelSpec\` entry may also be \`null\` (keeps the compiled model) or a partial override
without \`name\` (\`definitions.helmModelSpecOverride\`): a key it omits keeps its compiled value. An entry with a
\`name\` is a whole model, checked as the compiler checks it. Otherwise the schema is the values
compiler's, enforced by Helm 3 and Helm 4.
${secretsSection(options.secrets)}`;
}
