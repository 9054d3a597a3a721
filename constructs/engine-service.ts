/**
 * An engine's Service `<release>-<model>-engine-service` (production-stack's `service-vllm.yaml`): the HTTP port
 * plus the fixed NIXL/ZMQ and UCX ports, then the user's `extraPorts`. A NIXL sender reaches its receiver here.
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ENGINE_DEFAULTS } from './defaults.js';
import type { VllmEngineProps } from './engine-props.js';
import { intOrString } from './kube-json.js';
import { UCX_PORT, ZMQ_PORT } from '../schema/facts/ports.js';
import { nonEmpty } from './workload.js';

/** The name of an engine Service's HTTP port (vLLM's API and `/metrics`), which the engine ServiceMonitor scrapes. */
export const ENGINE_SERVICE_PORT_NAME = 'service-port';

export interface EngineServiceProps {
  readonly name: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** The engine's pod labels: the Service's labels and selector. */
  readonly selector: Readonly<Record<string, string>>;
  /** The port clients and the router use; it targets the container's `container-port`. */
  readonly servicePort: number;
  /** ServicePorts appended to the fixed ones. @default - none */
  readonly extraPorts?: readonly k8s.ServicePort[];
  /** @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The engine Service of `engine` (its `service` options), added to `scope` as `Service`. */
export function modelEngineService(
  scope: Construct,
  props: {
    readonly name: string;
    readonly namespace?: string;
    readonly engine: Pick<VllmEngineProps, 'service'>;
    readonly selector: Readonly<Record<string, string>>;
  },
): ApiObject {
  const { service = {} } = props.engine;
  return engineService(scope, {
    name: props.name,
    namespace: props.namespace,
    selector: props.selector,
    servicePort: service.port ?? ENGINE_DEFAULTS.servicePort,
    extraPorts: service.extraPorts,
    annotations: service.annotations,
  });
}

/** The engine Service, added to `scope` as `Service`. */
export function engineService(scope: Construct, props: EngineServiceProps): ApiObject {
  const { selector } = props;
  return new k8s.KubeService(scope, 'Service', {
    metadata: {
      name: props.name,
      namespace: props.namespace,
      labels: { ...selector },
      annotations: nonEmpty({ ...props.annotations }),
    },
    spec: {
      type: 'ClusterIP',
      selector: { ...selector },
      ports: [
        {
          name: ENGINE_SERVICE_PORT_NAME,
          port: props.servicePort,
          targetPort: intOrString('container-port'),
          protocol: 'TCP',
        },
        { name: 'zmq-port', port: ZMQ_PORT, targetPort: intOrString('zmq-port'), protocol: 'TCP' },
        { name: 'ucx-port', port: UCX_PORT, targetPort: intOrString('ucx-port'), protocol: 'TCP' },
        ...(props.extraPorts ?? []),
      ],
    },
  });
}
