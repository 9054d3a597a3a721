import { App, Chart, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { VllmEngine } from '../../constructs/engine.js';
import { VllmRouter } from '../../constructs/router.js';
import { duplicateObjects } from '../../constructs/unique-objects.js';
import { engineProps } from '../../constructs/values-props.js';
import { BASE_MODEL } from '../support/engine.js';

const engine = (chart: Chart, id: string, release = 'pd', namespace?: string) =>
  new VllmEngine(chart, id, engineProps(release, namespace, BASE_MODEL, {}));

describe('unique objects per chart', () => {
  it('fails app.synth() when two engines emit the same Deployment, naming both construct paths', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'llm');
    engine(chart, 'a');
    engine(chart, 'b');
    expect(() => app.synth()).toThrow(
      'Deployment pd-opt-deployment-vllm is emitted twice, by llm/a/Deployment and llm/b/Deployment: object names must be unique per kind and namespace; give one of them another model or release name',
    );
    expect(duplicateObjects(chart)).toHaveLength(2); // the Deployment and the Service
  });

  it('also fails app.synthYaml(), and tells the chart namespace apart from an explicit one', () => {
    const app = new App();
    const chart = new Chart(app, 'llm', { namespace: 'team-a' });
    engine(chart, 'a');
    engine(chart, 'b', 'pd', 'team-a');
    expect(() => app.synthYaml()).toThrow(/Deployment team-a\/pd-opt-deployment-vllm is emitted twice/);
  });

  it('accepts the same names in another namespace or release, and an engine beside a router', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'llm');
    engine(chart, 'a', 'pd', 'team-a');
    engine(chart, 'b', 'pd', 'team-b');
    engine(chart, 'c', 'other', 'team-a');
    new VllmRouter(chart, 'r', { release: 'pd', namespace: 'team-a', engines: { port: 8000 } });
    expect(duplicateObjects(chart)).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});
