/**
 * `PdStack`: a whole values file → every object production-stack's chart renders for it (engines, release
 * Secret, configs ConfigMap, router with its RBAC, autoscaler, Ingress and Gateway API routes). Disabled models get
 * no objects (a pdstack fix). pdstack extension: `servingEngineSpec.pdstackInferencePool` adds an InferencePool per
 * engine that serves whole requests (inference-pool.ts).
 */
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { enginesEnabled as renderEngines, renderedModels, routerEnabled } from '../schema/rendered.js';
import type { PdstackValues, RouterSpec } from '../schema/values.generated.js';
import { ENGINE_DEFAULTS, ROUTER_DEFAULTS, SHARED_STORAGE_DEFAULTS } from './defaults.js';
import { LmcacheServer } from './cache-server.js';
import { GrafanaDashboards } from './dashboards.js';
import { VllmEngine } from './engine.js';
import { LoraAdapter, LoraAdapterCrd } from './lora-adapter.js';
import { imageOrDefault, LoraController } from './lora-controller.js';
import { SharedStorage } from './shared-storage.js';
import { ExtraObjects } from './extra-objects.js';
import { getsInferencePool } from '../schema/facts/inference-pool.js';
import { EngineInferencePool } from './inference-pool.js';
import { EngineServiceMonitor } from './engine-service-monitor.js';
import { engineDiscoverySelector } from './labels.js';
import * as names from '../schema/facts/names.js';
import { isPdEngine } from '../schema/facts/pd-engine.js';
import { requireReleaseAndNamespace } from './invariants.js';
import { ReleaseSecret, SecretSource } from './release-secret.js';
import { RouterEngineDiscovery, VllmRouter } from './router.js';
import { RouterAutoscaler } from './router-hpa.js';
import { RouterIngress } from './router-ingress.js';
import { RouterPdb } from './router-pdb.js';
import { RouterHttpRoute } from './router-route.js';
import { RouterServiceMonitor } from './router-service-monitor.js';
import {
  engineProps,
  lmcacheServerProps,
  loraAdapterProps,
  loraControllerProps,
  rayClusterProps,
  routerExposureProps,
  routerProps,
  serviceMonitorProps,
  sharedStorageProps,
} from './values-props.js';
import { VllmRayCluster } from './ray-cluster.js';
import { isRayModel } from '../schema/facts/ray.js';
import { nonEmpty } from './workload.js';

export interface PdStackProps {
  /** Release name: prefix of every object name. @default DEFAULT_RELEASE ('pd') */
  readonly release?: string;
  /** Namespace of every object and of the router's discovery. @default DEFAULT_NAMESPACE ('default') */
  readonly namespace?: string;
  /** A values file that passed `pdstack validate` (schema defaults filled in or not: both work). */
  readonly values: Readonly<PdstackValues>;
}

export class PdStack extends Construct {
  public readonly engines: readonly VllmEngine[];
  /** The KubeRay models' clusters (`raySpec.enabled`), which get no `VllmEngine`. */
  public readonly rayClusters: readonly VllmRayCluster[];
  public readonly router?: VllmRouter;
  public readonly cacheServer?: LmcacheServer;
  public readonly loraController?: LoraController;
  public readonly release: string;
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: PdStackProps) {
    super(scope, id);
    const release = (this.release = props.release ?? names.DEFAULT_RELEASE);
    const namespace = (this.namespace = props.namespace ?? names.DEFAULT_NAMESPACE);
    requireReleaseAndNamespace('PdStack', release, namespace);
    const engineSpec = props.values.servingEngineSpec ?? {};
    const { modelSpec: _models, ...settings } = engineSpec;
    const enginesEnabled = renderEngines(props.values);
    const engines: VllmEngine[] = [];
    const rayClusters: VllmRayCluster[] = [];
    const cacheserverSpec = props.values.cacheserverSpec;
    // production-stack renders the cache server whether or not engines are
    if (cacheserverSpec?.enabled)
      this.cacheServer = new LmcacheServer(
        this,
        'CacheServer',
        lmcacheServerProps(release, namespace, cacheserverSpec),
      );
    const cacheServer = this.cacheServer?.endpoint;
    const shared = props.values.sharedPvcStorage;
    // production-stack renders the shared volume whether or not engines are
    const sharedStorageClaim = shared?.enabled
      ? new SharedStorage(this, 'SharedStorage', sharedStorageProps(release, namespace, shared)).claimName
      : undefined;
    if (enginesEnabled) {
      ReleaseSecret.of(this, { release, namespace });
      if (nonEmpty(settings.configs)) {
        new k8s.KubeConfigMap(this, 'Configs', {
          metadata: { name: names.configsConfigMapName(release), namespace },
          data: { ...settings.configs },
        });
      }
      const pools = settings.pdstackInferencePool;
      for (const { spec } of renderedModels(props.values)) {
        if (isRayModel(spec)) {
          rayClusters.push(
            new VllmRayCluster(this, `Engine-${spec.name}`, {
              ...rayClusterProps(release, namespace, spec, settings),
              cacheServer,
              sharedStorageClaim,
            }),
          );
          continue;
        }
        const engine = new VllmEngine(this, `Engine-${spec.name}`, {
          ...engineProps(release, namespace, spec, settings),
          cacheServer,
          sharedStorageClaim,
        });
        engines.push(engine);
        if (pools?.enabled && getsInferencePool(spec))
          new EngineInferencePool(this, `InferencePool-${spec.name}`, {
            release,
            namespace,
            model: spec.name,
            selector: engine.podSelector,
            port: settings.containerPort,
            endpointPickerPort: pools.endpointPickerPort,
            failureMode: pools.endpointPickerFailureMode,
          });
      }
      if (settings.serviceMonitor?.enabled) {
        new EngineServiceMonitor(this, 'EngineServiceMonitor', {
          release,
          namespace,
          ...serviceMonitorProps(settings.serviceMonitor),
          engineLabels: settings.labels,
        });
      }
    }
    this.engines = engines;
    this.rayClusters = rayClusters;

    const routerSpec = props.values.routerSpec ?? {};
    if (routerEnabled(props.values)) {
      const serviceNameDiscovery =
        (routerSpec.k8sServiceDiscoveryType ?? ROUTER_DEFAULTS.k8sServiceDiscoveryType) === 'service-name';
      const discovery: RouterEngineDiscovery = {
        labelSelector: enginesEnabled
          ? engineDiscoverySelector(release, settings.labels ?? ENGINE_DEFAULTS.labels)
          : undefined,
        port: serviceNameDiscovery
          ? (settings.servicePort ?? ENGINE_DEFAULTS.servicePort)
          : (settings.containerPort ?? ENGINE_DEFAULTS.containerPort),
        apiKeySecretRef: enginesEnabled
          ? ReleaseSecret.vllmApiKeyRef(this, { release, namespace }, SecretSource.fromValues(settings.vllmApiKey))
          : undefined,
      };
      this.router = new VllmRouter(this, 'Router', routerProps(release, namespace, routerSpec, discovery));
      routerExposure(this, this.router, { release, namespace }, routerSpec);
    }
    const dashboards = props.values.grafanaDashboards;
    if (dashboards?.enabled) {
      const models = renderedModels(props.values).map(({ spec }) => ({
        name: spec.name,
        role: isPdEngine(spec.lmcacheConfig)
          ? ({ sender: 'prefill', receiver: 'decode' } as const)[spec.lmcacheConfig?.nixlRole ?? 'sender']
          : undefined,
      }));
      new GrafanaDashboards(this, 'GrafanaDashboards', {
        release,
        namespace,
        labels: dashboards.labels,
        annotations: dashboards.annotations,
        models,
        cacheServer: this.cacheServer !== undefined,
      });
    }
    this.loraController = loraObjects(this, { release, namespace }, props.values, sharedStorageClaim);
    if ((props.values.extraObjects ?? []).length > 0)
      new ExtraObjects(this, 'ExtraObjects', { release, namespace, values: props.values });
  }
}

/** The router's PodDisruptionBudget, autoscaler, Ingress, ServiceMonitor and Gateway API routes from `routerSpec`. */
function routerExposure(
  scope: Construct,
  router: VllmRouter,
  ctx: { release: string; namespace: string },
  spec: Readonly<RouterSpec>,
): void {
  const props = routerExposureProps(ctx, spec, router);
  if (props.pdb) new RouterPdb(scope, 'RouterPdb', props.pdb);
  if (props.autoscaler) new RouterAutoscaler(scope, 'RouterAutoscaler', props.autoscaler);
  if (props.ingress) new RouterIngress(scope, 'RouterIngress', props.ingress);
  if (props.serviceMonitor) new RouterServiceMonitor(scope, 'RouterServiceMonitor', props.serviceMonitor);
  for (const route of props.routes) new RouterHttpRoute(scope, `RouterRoute-${route.route}`, route);
}

/**
 * `loraController` and `loraAdapters`: the controller (mounting the shared volume when there is one), the
 * LoraAdapter resources not disabled, and their CRD when either is rendered.
 */
function loraObjects(
  scope: Construct,
  ctx: { release: string; namespace: string },
  values: Readonly<PdstackValues>,
  sharedStorageClaim: string | undefined,
): LoraController | undefined {
  const { release, namespace } = ctx;
  const spec = values.loraController;
  const adapters = (values.loraAdapters ?? []).filter((a) => a.enabled !== false);
  const crd = spec?.enableLoraController || adapters.length > 0 ? LoraAdapterCrd.of(scope) : undefined;
  const apiKey = values.servingEngineSpec?.vllmApiKey;
  for (const adapter of adapters) {
    const resource = new LoraAdapter(
      scope,
      `LoraAdapter-${adapter.name}`,
      loraAdapterProps(release, namespace, adapter, apiKey),
    );
    // the CRD first in the manifests: `kubectl apply` creates objects in file order
    if (crd) resource.apiObject.addDependency(crd.apiObject);
  }
  if (!spec?.enableLoraController) return undefined;
  const shared = sharedStorageClaim
    ? {
        claimName: sharedStorageClaim,
        initImage: imageOrDefault(values.sharedPvcStorage?.image, SHARED_STORAGE_DEFAULTS.image),
      }
    : undefined;
  return new LoraController(scope, 'LoraController', loraControllerProps(release, namespace, spec, shared));
}
