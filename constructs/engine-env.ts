/**
 * The vllm container's `env` and `envFrom`, in production-stack's order (reference §1.8): fixed vars, the V0/V1
 * switch, the Hugging Face token and API key (literals go to the release Secret), the user's env (shared, then the
 * model's), then LMCache/NIXL; `envFrom` the release's configs ConfigMap and the model's `envFromSecret`.
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ModelSpec } from '../schema/values.generated.js';
import type { LmcacheServerEndpoint } from './cache-server.js';
import type { EngineSettings } from './engine.js';
import { SHARED_STORAGE_MOUNT_PATH, STORAGE_MOUNT_PATH } from './engine-volumes.js';
import { fromUser } from './kube-json.js';
import { lmcacheEnv } from './lmcache.js';
import * as names from '../schema/facts/names.js';
import { ReleaseSecret, type SecretSource } from './release-secret.js';
import { ENGINE_PYTHONHASHSEED, usesV0 } from '../schema/facts/vllm.js';
import { nonEmpty } from './workload.js';

export interface EngineEnvProps {
  readonly release: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  readonly spec: Readonly<ModelSpec>;
  readonly settings: EngineSettings;
  /** The release's LMCache cache server. @default - none */
  readonly cacheServer?: LmcacheServerEndpoint;
  /** Whether the release's shared volume is mounted: `HF_HOME` is on it. @default false */
  readonly sharedStorage?: boolean;
  /** @default - no Hugging Face token */
  readonly hfToken?: SecretSource;
  /** @default - no API key */
  readonly apiKey?: SecretSource;
}

export interface EngineEnv {
  readonly env: k8s.EnvVar[];
  readonly envFrom: k8s.EnvFromSource[];
}

/** The env of an engine's vllm container; literal secrets are added to the release Secret of `scope`'s chart. */
export function engineEnv(scope: Construct, props: EngineEnvProps): EngineEnv {
  const { release, namespace, spec, settings, hfToken } = props;
  const env: k8s.EnvVar[] = [
    { name: 'PYTHONHASHSEED', value: ENGINE_PYTHONHASHSEED },
    {
      name: 'HF_HOME',
      value: props.sharedStorage
        ? SHARED_STORAGE_MOUNT_PATH
        : spec.pvcStorage !== undefined
          ? STORAGE_MOUNT_PATH
          : '/tmp',
    },
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
  ];
  if (spec.vllmConfig) {
    if (usesV0(spec)) env.push({ name: 'VLLM_USE_V1', value: '0' });
    else env.push({ name: 'PROMETHEUS_MULTIPROC_DIR', value: spec.vllmConfig.prometheusMultiprocDir ?? '/tmp' });
  }
  const hfTokenRef = ReleaseSecret.secretRef(scope, { release, namespace }, names.hfTokenSecretKey(spec.name), hfToken);
  if (hfTokenRef) env.push({ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { ...hfTokenRef } } });
  const apiKeyRef = ReleaseSecret.vllmApiKeyRef(scope, { release, namespace }, props.apiKey);
  if (apiKeyRef) env.push({ name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { ...apiKeyRef } } });
  env.push(...fromUser<k8s.EnvVar[]>(settings.env ?? []), ...fromUser<k8s.EnvVar[]>(spec.env ?? []));
  for (const e of lmcacheEnv(spec, {
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
  if (nonEmpty(settings.configs)) envFrom.push({ configMapRef: { name: names.configsConfigMapName(release) } });
  if (spec.envFromSecret) envFrom.push({ secretRef: { name: spec.envFromSecret.name } });
  return { env, envFrom };
}
