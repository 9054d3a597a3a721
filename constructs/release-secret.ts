/**
 * The release Secret `<release>-secrets` (production-stack's `secrets.yaml`): one per release, holding the
 * literal `hf_token`s (`hf_token_<model>`, and the router's `routerHfToken`, which production-stack put in the
 * router's env as plain text) and a literal `vllmApiKey`. Engines and the router add their entries; the
 * Secret is rendered even when empty, as production-stack does.
 */
import { ApiObject, Chart, Lazy } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { SecretValue } from '../schema/values.generated.js';
import { releaseSecretName, VLLM_API_KEY_SECRET_KEY } from '../schema/facts/names.js';
import { requireReleaseAndNamespace } from './invariants.js';
import { requireUniqueObjects } from './unique-objects.js';

export interface ReleaseSecretProps {
  /** Release name: the Secret is `<release>-secrets`. */
  readonly release: string;
  /** @default - the chart's namespace */
  readonly namespace?: string;
  /** Labels of the Secret. @default - none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A reference to one key of a Secret. */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/**
 * A secret (a Hugging Face token, an API key) given literally or by reference to an existing Secret. A construct
 * that takes one stores a literal in the release Secret `<release>-secrets` and refers to it from there, so no
 * manifest carries the value in plain text.
 */
export class SecretSource {
  /** A literal value, stored in the release Secret. It must not be empty: leave the prop unset instead. */
  public static literal(value: string): SecretSource {
    if (value === '') throw new Error('SecretSource.literal: the value is empty; leave the secret unset instead');
    return new SecretSource(value, undefined);
  }

  /** Key `secretKey` of the existing Secret `secretName` (in the objects' namespace). */
  public static fromSecret(secretName: string, secretKey: string): SecretSource {
    if (!secretName || !secretKey) {
      throw new Error(
        `SecretSource.fromSecret: secretName \`${secretName}\` and secretKey \`${secretKey}\` must both be set`,
      );
    }
    return new SecretSource(undefined, { name: secretName, key: secretKey });
  }

  /**
   * A values file's secret (`hf_token`, `vllmApiKey`): a literal string, or `{secretName, secretKey}` of an existing
   * Secret; `undefined` when not set, an empty literal, or a map with an empty name or key (which render nothing; a
   * map missing either key is a validation error).
   */
  public static fromValues(value: SecretValue | undefined): SecretSource | undefined {
    if (typeof value === 'string') return value ? SecretSource.literal(value) : undefined;
    return value?.secretName && value.secretKey
      ? SecretSource.fromSecret(value.secretName, value.secretKey)
      : undefined;
  }

  private constructor(
    /** The literal value, when given literally (never printed). */
    public readonly literal: string | undefined,
    /** The key of an existing Secret, when given by reference. */
    public readonly ref: SecretKeyRef | undefined,
  ) {}
}

export class ReleaseSecret extends Construct {
  /** The release Secret of `release` in the chart of `scope`, created on first use. */
  public static of(scope: Construct, props: ReleaseSecretProps): ReleaseSecret {
    const chart = Chart.of(scope);
    const id = `ReleaseSecret-${props.release}`;
    const existing = chart.node.tryFindChild(id);
    if (existing instanceof ReleaseSecret) return existing;
    return new ReleaseSecret(chart, id, props);
  }

  /** A key of the release Secret holding `value` (the Secret is created on first use). */
  public static keyRef(scope: Construct, props: ReleaseSecretProps, key: string, value: string): SecretKeyRef {
    const secret = ReleaseSecret.of(scope, props);
    return { name: secret.name, key: secret.set(key, value) };
  }

  /**
   * A secret as a Secret key reference: a literal is stored in the release Secret under `key`, a reference to an
   * existing Secret is used as is; `undefined` when there is none.
   */
  public static secretRef(
    scope: Construct,
    props: ReleaseSecretProps,
    key: string,
    source: SecretSource | undefined,
  ): SecretKeyRef | undefined {
    if (source === undefined) return undefined;
    return source.literal !== undefined ? ReleaseSecret.keyRef(scope, props, key, source.literal) : source.ref;
  }

  /** `servingEngineSpec.vllmApiKey` as a Secret key reference (key `vllmApiKey`), see `secretRef`. */
  public static vllmApiKeyRef(
    scope: Construct,
    props: ReleaseSecretProps,
    apiKey: SecretSource | undefined,
  ): SecretKeyRef | undefined {
    return ReleaseSecret.secretRef(scope, props, VLLM_API_KEY_SECRET_KEY, apiKey);
  }

  public readonly name: string;
  public readonly apiObject: ApiObject;
  private readonly entries = new Map<string, string>();

  constructor(scope: Construct, id: string, props: ReleaseSecretProps) {
    super(scope, id);
    requireUniqueObjects(this);
    requireReleaseAndNamespace('ReleaseSecret', props.release, props.namespace);
    this.name = releaseSecretName(props.release);
    this.apiObject = new k8s.KubeSecret(this, 'Resource', {
      metadata: { name: this.name, namespace: props.namespace, labels: props.labels ? { ...props.labels } : undefined },
      type: 'Opaque',
      data: Lazy.any({
        produce: () => Object.fromEntries([...this.entries].map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      }),
    });
  }

  /** Adds `key`; adding the same key twice with different values is an error. Returns the key. */
  public set(key: string, value: string): string {
    const previous = this.entries.get(key);
    if (previous !== undefined && previous !== value) {
      throw new Error(`Secret ${this.name}: key ${key} is already set to a different value`);
    }
    this.entries.set(key, value);
    return key;
  }
}
