/**
 * Object names, exactly as production-stack's chart names them (reference §1.1), in one place: the
 * constructs, the values compiler's checks and the Helm chart generator all ask here.
 */

export const engineDeploymentName = (release: string, model: string): string => `${release}-${model}-deployment-vllm`;
export const engineServiceName = (release: string, model: string): string => `${release}-${model}-engine-service`;
export const engineStorageClaimName = (release: string, model: string): string => `${release}-${model}-storage-claim`;
export const engineChatTemplatesConfigMapName = (release: string, model: string): string =>
  `${release}-${model}-chat-templates`;
export const enginePdbName = (release: string, model: string): string => `${release}-${model}-pdb-vllm`;
export const engineScaledObjectName = (release: string, model: string): string => `${release}-${model}-scaledobject`;
/** pdstack extension: a model's Gateway API Inference Extension InferencePool. */
export const engineInferencePoolName = (release: string, model: string): string => `${release}-${model}-inference-pool`;
/** The endpoint picker (EPP) Service an InferencePool names: `<pool>-epp`, as the Inference Extension's Helm chart names a pool's EPP. */
export const endpointPickerServiceName = (pool: string): string => `${pool}-epp`;
/** A Grafana dashboard's ConfigMap (`dashboard`: its file name without `.json`). */
export const grafanaDashboardConfigMapName = (release: string, dashboard: string): string =>
  `${release}-grafana-${dashboard}`;
/** A KubeRay model (`raySpec.enabled`): its RayCluster, and the ConfigMaps of its head's scripts. */
export const rayClusterName = (release: string, model: string): string => `${release}-${model}-raycluster`;
/** production-stack: `<model>-wait-for-ray-script`, without the release (two releases in a namespace collide). */
export const rayWaitScriptConfigMapName = (release: string, model: string): string =>
  `${release}-${model}-wait-for-ray-script`;
/** production-stack: `<model>-vllm-start-script`, without the release. */
export const rayStartScriptConfigMapName = (release: string, model: string): string =>
  `${release}-${model}-vllm-start-script`;
export const engineServiceMonitorName = (release: string): string => `${release}-engine-servicemonitor`;
/** The pod `hostname` production-stack sets on engine pods. */
export const engineHostname = (release: string, model: string): string => `${release}-${model}-vllm-stack`;
/** The release Secret holding literal `hf_token`s (`hf_token_<model>`, `routerHfToken`) and a literal `vllmApiKey`. */
export const releaseSecretName = (release: string): string => `${release}-secrets`;
export const hfTokenSecretKey = (model: string): string => `hf_token_${model}`;
export const VLLM_API_KEY_SECRET_KEY = 'vllmApiKey';
/** The router's `hf_token` (upper case: no model's `hf_token_<model>` key can be it). */
export const ROUTER_HF_TOKEN_SECRET_KEY = 'routerHfToken';
export const configsConfigMapName = (release: string): string => `${release}-configs`;
export const storageVolumeName = (release: string): string => `${release}-storage`;
/** `sharedPvcStorage`: the engines' volume and its claim, as production-stack names them. */
export const sharedStorageVolumeName = (release: string): string => `${release}-shared-pvc-storage`;
export const sharedStorageClaimName = (release: string): string => `${release}-shared-pvc-storage-claim`;
/** Its PersistentVolume: cluster-scoped, hence the namespace in the name (production-stack: `<release>-shared-pvc-storage`). */
export const sharedStoragePvName = (release: string, namespace: string): string =>
  `${release}-${namespace}-shared-pvc-storage`;

export const cacheServerDeploymentName = (release: string): string => `${release}-deployment-cache-server`;
/** The LMCache cache server's Service: engines' `LMCACHE_REMOTE_URL` points at it. */
export const cacheServerServiceName = (release: string): string => `${release}-cache-server-service`;

export const routerDeploymentName = (release: string): string => `${release}-deployment-router`;
export const routerServiceName = (release: string): string => `${release}-router-service`;
export const routerServiceAccountName = (release: string): string => `${release}-router-service-account`;
export const routerRoleName = (release: string): string => `${release}-reader`;
export const routerRoleBindingName = (release: string): string => `${release}-deployment-access-binding`;
export const routerPdbName = (release: string): string => `${release}-pdb-router`;
export const routerHpaName = (release: string): string => `${release}-router-hpa`;
export const routerIngressName = (release: string): string => `${release}-ingress-router`;
export const routerServiceMonitorName = (release: string): string => `${release}-router-servicemonitor`;
/** The route `routerSpec.route.main` is `<release>-router`; any other `routerSpec.route.NAME` is `<release>-router-NAME`. */
export const MAIN_ROUTE = 'main';
export const routerRouteName = (release: string, route: string): string =>
  route === MAIN_ROUTE ? `${release}-router` : `${release}-router-${route}`;

/** The release name when none is given: the tutorial installs with `helm install pd`. */
export const DEFAULT_RELEASE = 'pd';
export const DEFAULT_NAMESPACE = 'default';

/**
 * The ValidatingAdmissionPolicy (and its binding) that limits the router's `patch` to the `sleeping` label. Both are
 * cluster-scoped, so the name holds the namespace too: two releases of one name in two namespaces never collide.
 */
export const routerSleepLabelPolicyName = (release: string, namespace: string): string =>
  `${release}-${namespace}-router-sleeping-label`;

/** The LoRA controller's Deployment and its own ServiceAccount (`loraController`), as production-stack names them. */
export const loraControllerName = (release: string): string => `${release}-lora-controller`;
export const loraControllerPdbName = (release: string): string => `${release}-pdb-lora-controller`;
/** The Secret holding the webhook's serving certificate (not rendered: cert-manager or the user creates it). */
export const loraControllerWebhookCertSecretName = (release: string): string =>
  `${release}-lora-controller-webhook-server-cert`;
/**
 * The controller's ClusterRole and ClusterRoleBinding: cluster-scoped, hence the namespace in the name
 * (production-stack: `<release>-lora-controller`, which collides between two namespaces' releases of one name).
 */
export const loraControllerClusterRoleName = (release: string, namespace: string): string =>
  `${release}-${namespace}-lora-controller`;
/** Its leader-election Role and RoleBinding, in the release's namespace (production-stack: cluster-scoped, same names). */
export const loraLeaderElectionRoleName = (release: string): string => `${release}-leader-election-role`;
export const loraLeaderElectionRoleBindingName = (release: string): string => `${release}-leader-election-rolebinding`;
/** A LoraAdapter's literal `adapterSource.credentials` in the release Secret. */
export const loraCredentialsSecretKey = (adapterName: string): string => `lora_adapter_credentials_${adapterName}`;
