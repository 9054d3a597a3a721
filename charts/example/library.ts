import { App, Chart } from 'cdk8s';
import {
  ModelStorage,
  PdStack,
  Quantity,
  SecretSource,
  VllmEngine,
  formatDiagnostic,
  hasErrors,
  loadValuesFile,
} from '../../constructs/index.js';

// A values file that passes `pdstack validate`, compiled for release `pd` in namespace `llm`.
const { values, diagnostics } = loadValuesFile('values.yaml', { release: 'pd', namespace: 'llm' });
if (hasErrors(diagnostics)) throw new Error(diagnostics.map(formatDiagnostic).join('\n'));

const app = new App(); // writes dist/llm.k8s.yaml (or $CDK8S_OUTDIR/llm.k8s.yaml)
const chart = new Chart(app, 'llm', { namespace: 'llm' });
new PdStack(chart, 'pd', { release: 'pd', namespace: 'llm', values });
// One more engine built in code, beside the values file's engines. Its model name must be new: two objects of
// one kind, namespace and name make app.synth() fail.
new VllmEngine(chart, 'embed', {
  release: 'pd',
  name: 'bge-embed',
  image: { repository: 'vllm/vllm-openai', tag: 'v0.10.0' },
  modelURL: 'BAAI/bge-base-en-v1.5',
  resources: { cpu: Quantity.parse(4), memory: Quantity.parse('16Gi'), gpus: Quantity.parse(1) },
  hfToken: SecretSource.fromSecret('hf-token', 'token'), // or SecretSource.literal(...): kept in <release>-secrets
  vllm: { config: { maxModelLen: 512 } },
  storage: { model: ModelStorage.claim(Quantity.parse('20Gi'), { storageClass: 'fast' }) },
  scheduling: { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] },
});
app.synth();
