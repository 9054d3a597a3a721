/**
 * `ExtraObjects`: the objects of `extraObjects`, rendered as given once their template actions are evaluated for the
 * release (schema/extra-objects.ts; production-stack's `extra-objects.yaml`). A namespace is kept as written: an
 * object without one goes to the namespace it is applied in, as with `helm install`.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { extraObjects, type ExtraObject } from '../schema/extra-objects.js';
import type { PdstackValues } from '../schema/values.generated.js';
import { requireUniqueObjects } from './unique-objects.js';

export interface ExtraObjectsProps {
  /** The release `{{ .Release.Name }}` stands for. */
  readonly release: string;
  /** The namespace `{{ .Release.Namespace }}` stands for. */
  readonly namespace: string;
  /** Values that passed `pdstack validate`: their `extraObjects`, and what `{{ .Values... }}` reads. */
  readonly values: Readonly<PdstackValues>;
}

export class ExtraObjects extends Construct {
  public readonly objects: readonly ApiObject[];

  constructor(scope: Construct, id: string, props: ExtraObjectsProps) {
    super(scope, id);
    requireUniqueObjects(this);
    const { objects, problems } = extraObjects(props);
    if (problems.length > 0) {
      const [first] = problems;
      throw new Error(`ExtraObjects: ${first!.path.join('.')} ${first!.message} (validate the values first)`);
    }
    this.objects = objects.map(
      (o: ExtraObject, i) => new ApiObject(this, `${i}-${o.kind}-${o.metadata.name}`, { ...o }),
    );
  }
}
