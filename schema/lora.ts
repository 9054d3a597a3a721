/**
 * Checks of meaning for `loraController` and `loraAdapters`: what the API server or the release Secret would
 * refuse (errors), and adapters that would never be loaded (warnings), each at the key it is about. A secret's value
 * is never printed.
 */
import { dnsSubdomainProblem, secretKeyProblem } from './facts/dns-label.js';
import { loraCredentialsSecretKey } from './facts/names.js';
import type { Report } from './preflight.js';
import { renderedModels } from './rendered.js';
import type { Path } from './source.js';
import type { PdstackValues } from './values.generated.js';

/** vLLM serves /v1/load_lora_adapter, which the controller calls, only with this set to true. */
const RUNTIME_LORA_ENV = 'VLLM_ALLOW_RUNTIME_LORA_UPDATING';

export function checkLora(report: Report, values: Readonly<PdstackValues>, release: string): void {
  const controller = values.loraController;
  if (controller?.enableLoraController && controller.webhook?.enabled) {
    report(
      'warning',
      ['loraController', 'webhook', 'enabled'],
      `the controller mounts the Secret \`${release}-lora-controller-webhook-server-cert\` (its webhook's certificate), which is not rendered: create it (e.g. with cert-manager) before installing, or the pod does not start`,
    );
  }
  const models = renderedModels(values).map(({ spec }) => spec);
  const names = new Map<string, number>();
  const credentials = new Map<string, { index: number; value: string }>();
  (values.loraAdapters ?? []).forEach((adapter, index) => {
    const at = (...keys: string[]): Path => ['loraAdapters', index, ...keys];
    if (adapter.enabled === false) return;
    // Only labels that would be lost: production-stack's own default entry has `labels: {}` here.
    const placementLabels = adapter.loraAdapterDeploymentConfig?.labels;
    if (placementLabels !== undefined && Object.keys(placementLabels).length > 0)
      report(
        'warning',
        at('loraAdapterDeploymentConfig', 'labels'),
        "not read: the LoraAdapter's labels are loraAdapters[].labels, as production-stack's chart reads them (its values.yaml puts them here, where its template ignores them); move them up to the adapter",
      );
    const nameProblem = dnsSubdomainProblem(adapter.name);
    if (nameProblem)
      report('error', at('name'), `LoraAdapter name \`${adapter.name}\` ${nameProblem} (e.g. llama3-sql-adapter)`);
    const first = names.get(adapter.name);
    if (first !== undefined)
      report(
        'error',
        at('name'),
        `LoraAdapter \`${adapter.name}\` is already loraAdapters[${first}]; two resources of one name in one namespace are one: rename one`,
      );
    else names.set(adapter.name, index);
    const source = adapter.adapterSource;
    if (source.type === 'local' && !source.adapterPath)
      report(
        'error',
        at('adapterSource', 'type'),
        'a local adapter needs adapterSource.adapterPath (the directory of its weights, e.g. on the shared volume /data/shared-pvc-storage/lora-adapters/NAME)',
      );
    if (typeof source.credentials === 'string' && source.credentials !== '') {
      const key = loraCredentialsSecretKey(source.adapterName);
      const keyProblem = secretKeyProblem(key);
      if (keyProblem)
        report(
          'error',
          at('adapterSource', 'adapterName'),
          `literal credentials are kept in the release Secret under \`${key}\`, which ${keyProblem}: rename the adapter or give credentials as {secretName, secretKey}`,
        );
      const earlier = credentials.get(source.adapterName);
      if (earlier !== undefined && earlier.value !== source.credentials)
        report(
          'error',
          at('adapterSource', 'credentials'),
          `loraAdapters[${earlier.index}] has the same adapterName and other literal credentials, and both would be the release Secret's \`${key}\`: use one value, or {secretName, secretKey}`,
        );
      else if (earlier === undefined) credentials.set(source.adapterName, { index, value: source.credentials });
    }
    if (!controller?.enableLoraController)
      report(
        'warning',
        at('name'),
        'no LoRA controller is rendered, so nothing loads this adapter: set loraController.enableLoraController: true, or run a controller of your own',
      );
    const model = models.find((m) => m.name === adapter.baseModel);
    if (model === undefined) {
      const known = models.map((m) => m.name).join(', ');
      report(
        'warning',
        at('baseModel'),
        `\`${adapter.baseModel}\` is no enabled model of this release${known ? ` (models: ${known})` : ''}: the controller loads the adapter on pods labelled model=${adapter.baseModel}; set baseModel to a modelSpec name`,
      );
    } else if (model.enableLoRA !== true) {
      report(
        'warning',
        at('baseModel'),
        `model \`${model.name}\` is served without --enable-lora, so it cannot load adapters: set enableLoRA: true on it`,
      );
    } else if (
      ![...(values.servingEngineSpec?.env ?? []), ...(model.env ?? [])].some((e) => e.name === RUNTIME_LORA_ENV)
    ) {
      report(
        'warning',
        at('baseModel'),
        `model \`${model.name}\` has no ${RUNTIME_LORA_ENV} in its env, without which vLLM does not serve /v1/load_lora_adapter, which the controller calls: add {name: ${RUNTIME_LORA_ENV}, value: "True"} to its env`,
      );
    }
  });
}
