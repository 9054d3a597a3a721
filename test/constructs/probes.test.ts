import { Chart, Testing } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';
import { VllmEngine } from '../../constructs/engine.js';
import { ENGINE_PROBE_DEFAULTS, probe } from '../../constructs/probes.js';
import { engineProps } from '../../constructs/values-props.js';
import { BASE_MODEL } from '../support/engine.js';
import { find, vllmContainer } from '../support/synth.js';

/** The probes of a VllmEngine built from `probes`, as rendered. */
function renderedProbes(probes: ConstructorParameters<typeof VllmEngine>[2]['probes']): Record<string, unknown> {
  const chart = new Chart(Testing.app(), 't');
  new VllmEngine(chart, 'e', { ...engineProps('pd', 'default', BASE_MODEL, {}), probes });
  const c = vllmContainer(find(Testing.synth(chart), 'Deployment', 'pd-opt-deployment-vllm'));
  return { startup: c.startupProbe, liveness: c.livenessProbe, readiness: c.readinessProbe };
}

describe('probe: the default probe of a kind with the given fields over it', () => {
  it('is an HTTP GET of /health on the port with the timings of its kind when nothing is given', () => {
    expect(probe(ENGINE_PROBE_DEFAULTS.startup, 8000, undefined)).toEqual({
      ...ENGINE_PROBE_DEFAULTS.startup,
      httpGet: { path: '/health', port: k8s.IntOrString.fromNumber(8000) },
    });
  });

  it('renders typed overrides: a field of the HTTP GET replaces the default one, another handler the HTTP GET', () => {
    const probes = renderedProbes({
      startup: { failureThreshold: 120 },
      liveness: { tcpSocket: { port: k8s.IntOrString.fromString('container-port') }, timeoutSeconds: 3 },
      readiness: { httpGet: { path: '/ready', scheme: 'HTTPS' } },
    });
    expect(probes).toEqual({
      startup: {
        initialDelaySeconds: 15,
        periodSeconds: 10,
        failureThreshold: 120,
        httpGet: { path: '/health', port: 8000 },
      },
      liveness: {
        initialDelaySeconds: 15,
        periodSeconds: 10,
        failureThreshold: 3,
        timeoutSeconds: 3,
        tcpSocket: { port: 'container-port' },
      },
      readiness: {
        initialDelaySeconds: 15,
        periodSeconds: 5,
        failureThreshold: 3,
        httpGet: { path: '/ready', port: 8000, scheme: 'HTTPS' },
      },
    });
  });

  it("takes a values probe through engineProps, its port converted (servingEngineSpec's probes)", () => {
    const props = engineProps('pd', 'default', BASE_MODEL, { livenessProbe: { httpGet: { port: 9000 } } });
    expect(props.probes?.liveness?.httpGet?.port?.value).toBe(9000);
    expect(renderedProbes(props.probes).liveness).toMatchObject({ httpGet: { path: '/health', port: 9000 } });
  });
});
