import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { VllmEngine, type VllmEngineProps } from '../../constructs/engine.js';
import {
  requireDnsLabel,
  requireNoErrors,
  requireReleaseAndNamespace,
  requireReleaseName,
  requireWholeNumber,
} from '../../constructs/invariants.js';
import { Quantity } from '../../schema/facts/quantity.js';

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

  it('check a namespace, when one is given, with the rule the compiler reports', () => {
    expect(() => requireReleaseAndNamespace('X', 'pd', 'Team')).toThrow(
      `X: namespace \`Team\` ${DNS_RULE} (e.g. default)`,
    );
    expect(() => requireReleaseAndNamespace('X', 'pd', undefined)).not.toThrow();
  });

  it('hold counts to whole numbers of at least their minimum, when given', () => {
    expect(() => requireWholeNumber('X', 'replicas', -1, 0)).toThrow(
      'X: replicas: -1 is not a whole number of at least 0',
    );
    expect(() => requireWholeNumber('X', 'replicas', 1.5, 0)).toThrow('X: replicas: 1.5 is not a whole number');
    expect(() => requireWholeNumber('X', 'replicas', 0, 0)).not.toThrow();
    expect(() => requireWholeNumber('X', 'replicas', undefined, 1)).not.toThrow();
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
  const props = (): VllmEngineProps => ({
    release: 'pd',
    name: 'opt',
    image: { repository: 'vllm/vllm-openai', tag: 'v0.10.0' },
    modelURL: 'facebook/opt-125m',
    resources: { cpu: Quantity.parse(2), memory: Quantity.parse('8Gi') },
  });
  const build = (given: Partial<VllmEngineProps>) => () =>
    new VllmEngine(new Chart(Testing.app(), 't'), 'e', { ...props(), ...given });
  const withLmcache = (lmcache: VllmEngineProps['lmcache']) => build({ lmcache });

  it('builds from typed props', () => {
    expect(build({})).not.toThrow();
  });

  it('refuses a model name that is not a DNS label, and a bad release', () => {
    expect(build({ name: 'Llama_Decode' })).toThrow(`VllmEngine: name \`Llama_Decode\` ${DNS_RULE}`);
    expect(build({ release: 'PD' })).toThrow(/^VllmEngine: release name `PD` is not valid/);
  });

  it('refuses a namespace that is not a DNS label', () => {
    expect(build({ namespace: 'Team_A' })).toThrow(`VllmEngine: namespace \`Team_A\` ${DNS_RULE} (e.g. default)`);
    expect(build({ namespace: 'team-a' })).not.toThrow();
  });

  it("refuses a model whose engine Service name (production-stack's <release>-<model>-engine-service) exceeds 63", () => {
    // pd- (3) + 45 + -engine-service (15) = 63 fits; one more character does not
    expect(build({ name: 'm'.repeat(45) })).not.toThrow();
    expect(build({ name: 'm'.repeat(46) })).toThrow(
      `VllmEngine ${'m'.repeat(46)}: name: the engine Service \`pd-${'m'.repeat(46)}-engine-service\` would be 64 characters long; Kubernetes allows 63: shorten the model name (or the release name \`pd\`)`,
    );
  });

  it('takes quantities parsed: a size that is no quantity fails at Quantity.parse, naming the key', () => {
    expect(() => Quantity.parse('16GB', 'shmSize')).toThrow(
      'shmSize `16GB` is not a Kubernetes quantity (e.g. 8, 500m, 30Gi)',
    );
  });

  it('refuses a fractional GPU count and a limit below its request', () => {
    const resources = props().resources;
    expect(build({ resources: { ...resources, gpus: Quantity.parse('1.5') } })).toThrow(
      'VllmEngine opt: requestGPU: GPUs are whole devices: requestGPU must be a whole number, given 1.5',
    );
    expect(build({ resources: { ...resources, cpuLimit: Quantity.parse(1) } })).toThrow(
      'VllmEngine opt: limitCPU: limitCPU 1 is below requestCPU 2; Kubernetes rejects a limit below its request',
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
    expect(withLmcache({ ...pd, nixlRole: 'sender', kvRole: 'kv_consumer' })).toThrow(
      'VllmEngine opt: lmcacheConfig.kvRole: kvRole kv_consumer disagrees with nixlRole sender: a NIXL sender (the prefill engine) is kv_producer; set kvRole: kv_producer',
    );
    expect(withLmcache(pd)).toThrow(
      'VllmEngine opt: lmcacheConfig.enablePD: a P/D engine needs nixlRole: sender (prefill) or receiver (decode)',
    );
    expect(withLmcache({ enabled: true, nixlRole: 'receiver' })).toThrow(
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
    expect(withLmcache(receiver)).not.toThrow();
  });
});
