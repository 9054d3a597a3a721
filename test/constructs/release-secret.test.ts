import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ReleaseSecret } from '../../constructs/release-secret.js';

const chart = () => new Chart(Testing.app(), 't');

describe('ReleaseSecret', () => {
  it('is one per release and chart, holding the literal secrets it is given', () => {
    const c = chart();
    const ref = ReleaseSecret.secretRef(c, { release: 'pd' }, 'hf_token_opt', 'hf_abc');
    expect(ref).toEqual({ name: 'pd-secrets', key: 'hf_token_opt' });
    expect(ReleaseSecret.of(c, { release: 'pd' })).toBe(ReleaseSecret.of(c, { release: 'pd' }));
    const [secret] = Testing.synth(c);
    expect(secret?.data).toEqual({ hf_token_opt: Buffer.from('hf_abc').toString('base64') });
  });

  it('references an existing Secret as given, and sets nothing for an empty literal', () => {
    const c = chart();
    expect(ReleaseSecret.secretRef(c, { release: 'pd' }, 'k', { secretName: 'mine', secretKey: 'token' })).toEqual({
      name: 'mine',
      key: 'token',
    });
    expect(ReleaseSecret.secretRef(c, { release: 'pd' }, 'k', '')).toBeUndefined();
  });

  it('refuses one key with two values, without printing either', () => {
    const secret = ReleaseSecret.of(chart(), { release: 'pd' });
    secret.set('k', 'one');
    expect(() => secret.set('k', 'two')).toThrow('Secret pd-secrets: key k is already set to a different value');
  });

  it('refuses a release that cannot name it', () => {
    expect(() => ReleaseSecret.of(chart(), { release: 'PD' })).toThrow(
      /^ReleaseSecret: release name `PD` is not valid/,
    );
  });
});
