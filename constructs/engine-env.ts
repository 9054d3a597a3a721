/**
 * The vllm container's `env` and `envFrom`, in production-stack's order (reference §1.8): fixed vars, the V0/V1
 * switch, the Hugging Face token and API key (literals go to the release Secret), the user's `env.vars`, then
 * LMCache/NIXL; `envFrom` the release's configs ConfigMap (`env.fromConfigsConfigMap`) and `env.fromSecret`.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { VllmEngineProps } from './engine-props.js';
import { SHARED_STORAGE_MOUNT_PATH, STORAGE_MOUNT_PATH } from './engine-volumes.js';
import { lmcacheEnv } from './lmcache.js';
import * as names from '../schema/facts/names.js';
import { ReleaseSecret } from './release-secret.js';
import { ENGINE_PYTHONHASHSEED, usesV0 } from '../schema/facts/vllm.js';

/**
 * What an engine's env comes from: its props' model storage and shared volume (`HF_HOME`), vLLM config, tokens,
 * env options and LMCache (with the release's cache server).
 */
export type EngineEnvProps = Pick<
  VllmEngineProps,
  | 'release'
  | 'namespace'
  | 'name'
  | 'storage'
  | 'vllm'
  | 'env'
  | 'lmcache'
  | 'cacheServer'
  | 'hfToken'
  | 'apiKey'
  | 'sharedStorageClaim'
>;

export interface EngineEnv {
  readonly env: k8s.EnvVar[];
  readonly envFrom: k8s.EnvFromSource[];
}

/** The env of an engine's vllm container; literal secrets are added to the release Secret of `scope`'s chart. */
export function engineEnv(scope: Construct, props: EngineEnvProps): EngineEnv {
  const { release, namespace, name, hfToken, env: options = {} } = props;
  const vllmConfig = props.vllm?.config;
  const env: k8s.EnvVar[] = [
    { name: 'PYTHONHASHSEED', value: ENGINE_PYTHONHASHSEED },
    {
      name: 'HF_HOME',
      value:
        props.sharedStorageClaim !== undefined
          ? SHARED_STORAGE_MOUNT_PATH
          : props.storage?.model !== undefined
            ? STORAGE_MOUNT_PATH
            : '/tmp',
    },
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
  ];
  if (vllmConfig) {
    if (usesV0({ vllmConfig })) env.push({ name: 'VLLM_USE_V1', value: '0' });
    else env.push({ name: 'PROMETHEUS_MULTIPROC_DIR', value: vllmConfig.prometheusMultiprocDir ?? '/tmp' });
  }
  const hfTokenRef = ReleaseSecret.secretRef(scope, { release, namespace }, names.hfTokenSecretKey(name), hfToken);
  if (hfTokenRef) env.push({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { ...hfTokenRef } } });
  const apiKeyRef = ReleaseSecret.vllmApiKeyRef(scope, { release, namespace }, props.apiKey);
  if (apiKeyRef) env.push({ name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { ...apiKeyRef } } });
  env.push(...(options.vars ?? []));
  for (const e of lmcacheEnv(props.lmcache, {
    routerServiceName: names.routerServiceName(release),
    cacheServer: props.cacheServer,
  })) {
    env.push(
      e.fieldRef
        ? { name: e.name, valueFrom: { fieldRef: { fieldPath: e.fieldRef } } }
        : { name: e.name, value: e.value },
    );
  }
  const envFrom: k8s.EnvFromSource[] = [];
  if (options.fromConfigsConfigMap) envFrom.push({ configMapRef: { name: names.configsConfigMapName(release) } });
  if (options.fromSecret !== undefined) envFrom.push({ secretRef: { name: options.fromSecret } });
  return { env, envFrom };
}
