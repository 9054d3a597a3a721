/**
 * The chart-level invariant: no two objects of a chart share API group, kind, namespace and name (Kubernetes would
 * keep only the last one applied). Every pdstack construct registers the check on its chart; cdk8s runs it when the
 * app is synthesised (`app.synth()`, `app.synthYaml()`), so two constructs emitting the same Deployment name fail
 * there with both construct paths instead of writing a manifest that silently loses one of them.
 */
import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';

const registered = new WeakSet<Chart>();

/** Registers the unique-objects check on the chart of `scope` (once per chart). */
export function requireUniqueObjects(scope: Construct): void {
  const chart = Chart.of(scope);
  if (registered.has(chart)) return;
  registered.add(chart);
  chart.node.addValidation({ validate: () => duplicateObjects(chart) });
}

/** One message per object that repeats the API group, kind, namespace and name of an earlier one in `chart`. */
export function duplicateObjects(chart: Chart): string[] {
  const first = new Map<string, ApiObject>();
  const errors: string[] = [];
  for (const child of chart.node.findAll()) {
    if (!(child instanceof ApiObject)) continue;
    const namespace = child.metadata.namespace ?? chart.namespace;
    const key = JSON.stringify([child.apiGroup, child.kind, namespace ?? '', child.name]);
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, child);
    else
      errors.push(
        `${child.kind} ${namespace ? `${namespace}/` : ''}${child.name} is emitted twice, by ${earlier.node.path} and ${child.node.path}: object names must be unique per kind and namespace; give one of them another model or release name`,
      );
  }
  return errors;
}
