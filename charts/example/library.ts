import { App, Chart } from 'cdk8s';
import { PdStack, VllmEngine, formatDiagnostic, hasErrors, loadValuesFile } from '../../constructs/index.js';

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
  spec: {
    name: 'bge-embed',
    repository: 'vllm/vllm-openai',
    tag: 'v0.10.0',
    modelURL: 'BAAI/bge-base-en-v1.5',
    requestCPU: 4,
    requestMemory: '16Gi',
    requestGPU: 1,
  },
});
app.synth();
