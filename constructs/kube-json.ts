/**
 * Converts Kubernetes objects that users give verbatim in the values file (resources, extraVolumes,
 * extraPorts, strategy, probes, ...) into the shapes the typed `k8s` L1 classes serialise.
 *
 * The L1 serialisers read quantities and int-or-string fields through `.value`: a plain `"8"`, `8000` or
 * `"1Gi"` in such a field is silently dropped (verified; cdk8s-team/cdk8s#2172). Every user-supplied object
 * passes through here, so no value can vanish on the way to the manifest.
 */
import { k8s } from 'cdk8s-plus-28';

/** Keys whose value is a Kubernetes quantity. */
const QUANTITY_KEYS = new Set(['sizeLimit', 'storage', 'divisor']);
/** Keys whose value is a map of quantities. */
const QUANTITY_MAP_KEYS = new Set(['requests', 'limits', 'capacity', 'allocatable', 'overhead']);
/** Keys whose value is an int-or-string wherever they appear. */
const INT_OR_STRING_KEYS = new Set(['targetPort', 'maxSurge', 'maxUnavailable', 'minAvailable']);
/** Parents under which `port` is an int-or-string (in a ServicePort or a gRPC probe it is an integer). */
const INT_OR_STRING_PORT_PARENTS = new Set(['httpGet', 'tcpSocket']);

/** A quantity, always rendered as a string (`cpu: "8"`), as production-stack's templates quote them. */
export function quantity(value: string | number): k8s.Quantity {
  return k8s.Quantity.fromString(String(value));
}

export function intOrString(value: string | number): k8s.IntOrString {
  return typeof value === 'number' ? k8s.IntOrString.fromNumber(value) : k8s.IntOrString.fromString(value);
}

function convert(value: unknown, key: string | undefined, parentKey: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => convert(item, undefined, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (QUANTITY_MAP_KEYS.has(k) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        out[k] = Object.fromEntries(Object.entries(v).map(([rk, rv]) => [rk, asQuantity(rv)]));
      } else {
        out[k] = convert(v, k, key);
      }
    }
    return out;
  }
  if (key !== undefined && (typeof value === 'string' || typeof value === 'number')) {
    if (QUANTITY_KEYS.has(key)) return quantity(value);
    if (INT_OR_STRING_KEYS.has(key)) return intOrString(value);
    if (key === 'port' && parentKey !== undefined && INT_OR_STRING_PORT_PARENTS.has(parentKey))
      return intOrString(value);
  }
  return value;
}

function asQuantity(value: unknown): unknown {
  return typeof value === 'string' || typeof value === 'number' ? quantity(value) : value;
}

/**
 * A user-supplied Kubernetes object, converted for the L1 type `T`. `T` is the caller's claim about the
 * shape; the manifests are validated against the Kubernetes schema in the tests (kubernetes-models).
 */
export function fromUser<T>(value: unknown): T {
  return convert(value, undefined, undefined) as T;
}
