import { describe, expect, it } from 'vitest';
import { engineDeployment, engineObjects } from '../support/engine.js';
import { find } from '../support/synth.js';

describe('engine Service', () => {
  it('exposes the service port and the fixed ZMQ/UCX ports by name, then extraPorts verbatim', () => {
    const objects = engineObjects(
      { serviceAnnotations: { team: 'ml' } },
      { servicePort: 8080, extraPorts: [{ name: 'metrics', port: 9090, targetPort: 9090 }] },
    );
    const service = find(objects, 'Service', 'pd-opt-engine-service');
    expect(service.spec.ports).toEqual([
      { name: 'service-port', port: 8080, targetPort: 'container-port', protocol: 'TCP' },
      { name: 'zmq-port', port: 55555, targetPort: 'zmq-port', protocol: 'TCP' },
      { name: 'ucx-port', port: 9999, targetPort: 'ucx-port', protocol: 'TCP' },
      { name: 'metrics', port: 9090, targetPort: 9090 },
    ]);
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.metadata.annotations).toEqual({ team: 'ml' });
  });

  it("selects exactly the engine's pods and carries their labels", () => {
    const objects = engineObjects({});
    const service = find(objects, 'Service', 'pd-opt-engine-service');
    const selector = engineDeployment(objects).spec.selector.matchLabels;
    expect(service.spec.selector).toEqual(selector);
    expect(service.metadata.labels).toEqual(selector);
    expect(service.metadata.annotations).toBeUndefined();
  });
});
