import { Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ReleaseSecret, SecretSource } from '../../constructs/release-secret.js';

const chart = () => new Chart(Testing.app(), 't');

describe('ReleaseSecret', () => {
  it('is one per release and chart, holding the literal secrets it is given', () => {
    const c = chart();
    const ref = ReleaseSecret.secretRef(c, { release: 'pd' }, 'hf_token_opt', SecretSource.literal('hf_abc'));
    expect(ref).toEqual({ name: 'pd-secrets', key: 'hf_token_opt' });
    expect(ReleaseSecret.of(c, { release: 'pd' })).toBe(ReleaseSecret.of(c, { release: 'pd' }));
    const [secret] = Testing.synth(c);
    expect(secret?.data).toEqual({ hf_token_opt: Buffer.from('hf_abc').toString('base64') });
  });

  it('references an existing Secret as given, storing nothing', () => {
    const c = chart();
    expect(ReleaseSecret.secretRef(c, { release: 'pd' }, 'k', SecretSource.fromSecret('mine', 'token'))).toEqual({
      name: 'mine',
      key: 'token',
    });
    expect(ReleaseSecret.secretRef(c, { release: 'pd' }, 'k', undefined)).toBeUndefined();
    expect(Testing.synth(c)).toEqual([]);
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

describe('SecretSource', () => {
  it('is a literal or a reference; the values form maps onto one of them', () => {
    expect(SecretSource.fromValues('hf_abc')).toEqual(SecretSource.literal('hf_abc'));
    expect(SecretSource.fromValues({ secretName: 's', secretKey: 'k' })?.ref).toEqual({ name: 's', key: 'k' });
    // what renders nothing: not set, an empty literal, a reference of empty strings (validation refuses a half one)
    expect([undefined, '', { secretName: '', secretKey: '' }].map((v) => SecretSource.fromValues(v))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('refuses an empty literal and an incomplete reference, printing no value', () => {
    expect(() => SecretSource.literal('')).toThrow(
      'SecretSource.literal: the value is empty; leave the secret unset instead',
    );
    expect(() => SecretSource.fromSecret('s', '')).toThrow(
      'SecretSource.fromSecret: secretName `s` and secretKey `` must both be set',
    );
  });
});
