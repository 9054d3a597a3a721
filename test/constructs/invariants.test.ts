import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { VllmEngine } from '../../constructs/engine.js';
import { requireDnsLabel, requireNoErrors, requireReleaseName } from '../../constructs/invariants.js';
import type { ModelSpec } from '../../schema/values.generated.js';
import { BASE_MODEL } from '../support/engine.js';

const DNS_RULE =
  "is not a valid DNS label: use lower-case letters, digits and '-', starting and ending with a letter or digit";

describe('constructor invariants', () => {
  it('name the construct, the prop and its value, then the rule of schema/facts/', () => {
    expect(() => requireReleaseName('X', 'PD')).toThrow(
      "X: release name `PD` is not valid: use at most 53 lower-case letters, digits and '-', starting with a letter (e.g. pd)",
    );
    expect(() => requireDnsLabel('X', 'name', 'Llama_3')).toThrow(`X: name \`Llama_3\` ${DNS_RULE}`);
    expect(() => requireReleaseName('X', 'pd')).not.toThrow();
  });

  it('stop at the first error, not at a warning', () => {
    const warning = { key: ['a'], severity: 'warning', message: 'w' } as const;
    expect(() => requireNoErrors('X', [warning])).not.toThrow();
    expect(() =>
      requireNoErrors('X', [
        warning,
        { key: ['b', 'c'], severity: 'error', message: 'e1' },
        { ...warning, severity: 'error' },
      ]),
    ).toThrow('X: b.c: e1');
  });
});

describe('VllmEngine invariants (requireValidEngine)', () => {
  const build =
    (spec: Partial<ModelSpec>, release = 'pd', namespace?: string) =>
    () =>
      new VllmEngine(new Chart(Testing.app(), 't'), 'e', { release, namespace, spec: { ...BASE_MODEL, ...spec } });

  it('refuses a model name that is not a DNS label, and a bad release', () => {
    expect(build({ name: 'Llama_Decode' })).toThrow(`VllmEngine: name \`Llama_Decode\` ${DNS_RULE}`);
    expect(build({}, 'PD')).toThrow(/^VllmEngine: release name `PD` is not valid/);
  });

  it('refuses a quantity that does not parse, naming the key', () => {
    expect(build({ requestMemory: 'lots' })).toThrow(
      'VllmEngine opt: requestMemory `lots` is not a Kubernetes quantity (e.g. 8, 500m, 30Gi)',
    );
    expect(build({ shmSize: '16GB' })).toThrow('VllmEngine opt: shmSize `16GB` is not a Kubernetes quantity');
    expect(build({ pvcStorage: 'big' })).toThrow('VllmEngine opt: pvcStorage `big` is not a Kubernetes quantity');
  });

  it('refuses a fractional GPU count and a limit below its request', () => {
    expect(build({ requestGPU: 1.5 })).toThrow(
      'VllmEngine opt: requestGPU: GPUs are whole devices: requestGPU must be a whole number, given 1.5',
    );
    expect(build({ requestCPU: 4, limitCPU: 2 })).toThrow(
      'VllmEngine opt: limitCPU: limitCPU 2 is below requestCPU 4; Kubernetes rejects a limit below its request',
    );
  });

  it('refuses an incoherent P/D role: a sender (prefill) with the decode side kvRole, a P/D engine without a role', () => {
    const pd = {
      enabled: true,
      enablePD: true,
      enableNixl: true,
      nixlPeerHost: 'pd-d-engine-service',
      nixlPeerPort: '55555',
    };
    expect(build({ lmcacheConfig: { ...pd, nixlRole: 'sender', kvRole: 'kv_consumer' } })).toThrow(
      'VllmEngine opt: lmcacheConfig.kvRole: kvRole kv_consumer disagrees with nixlRole sender: a NIXL sender (the prefill engine) is kv_producer; set kvRole: kv_producer',
    );
    expect(build({ lmcacheConfig: pd })).toThrow(
      'VllmEngine opt: lmcacheConfig.enablePD: a P/D engine needs nixlRole: sender (prefill) or receiver (decode)',
    );
    expect(build({ lmcacheConfig: { enabled: true, nixlRole: 'receiver' } })).toThrow(
      'VllmEngine opt: lmcacheConfig.nixlRole: nixlRole takes effect only on a P/D engine',
    );
  });

  it('builds a coherent receiver, whatever the warnings (a receiver binding a host name)', () => {
    const receiver = {
      enabled: true,
      enablePD: true,
      enableNixl: true,
      nixlRole: 'receiver',
      kvRole: 'kv_consumer',
      nixlPeerHost: 'somewhere',
      nixlPeerPort: '55555',
    } as const;
    expect(build({ lmcacheConfig: receiver })).not.toThrow();
  });
});
