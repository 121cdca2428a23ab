import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHART, helmTemplate, kubeTools, kustomize, OVERLAYS, podSpecOf, runTool, validateObject, type KubeObject } from '../../helpers/kubeTools.js';

const tools = kubeTools();
const valuesFiles = readdirSync(CHART).filter((f) => /^values-.+\.yaml$/.test(f));
const overlays = readdirSync(OVERLAYS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
/** Every optional object of the chart on, so that every template renders. */
const EVERYTHING = ['serviceMonitor.enabled=true', 'podMonitor.enabled=true', 'prometheusRule.enabled=true', 'dashboards.enabled=true'];
const kinds = (objects: readonly KubeObject[]) => objects.map((o) => o.kind).sort();

/** The chart and the Kustomize overlays, rendered by the real helm and kubectl. */
describe.runIf(tools !== undefined)('rendered by helm and kubectl', () => {
  describe('the Helm chart', () => {
    it.each([[[] as string[]], ...valuesFiles.map((f) => [[f]])])('passes helm lint --strict with %j', (files) => {
      const r = runTool(tools!.helm, ['lint', '--strict', CHART, ...files.flatMap((f) => ['-f', `${CHART}/${f}`])]);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    });

    it.each([[[] as string[]], ...valuesFiles.map((f) => [[f]])])('renders %j into objects that validate against their schemas, everything on or not', (files) => {
      for (const sets of [[], EVERYTHING]) {
        const objects = helmTemplate(tools!, files, sets);
        expect(objects.length).toBeGreaterThanOrEqual(3);
        for (const o of objects) validateObject(o);
      }
      expect(kinds(helmTemplate(tools!, files, EVERYTHING))).toEqual(['ConfigMap', 'DaemonSet', 'PodMonitor', 'PrometheusRule', 'Service', 'ServiceAccount', 'ServiceMonitor']);
    });

    it('validation has teeth: a DaemonSet the schema refuses is caught', () => {
      const ds = helmTemplate(tools!).find((o) => o.kind === 'DaemonSet')!;
      const broken = { ...ds, spec: { ...(ds['spec'] as object), selector: 'app=tcpstate' } } as KubeObject;
      expect(() => validateObject(broken)).toThrow(/DaemonSet\/tcpstate-tcpstate-exporter/);
    });

    it.each([['resources'], ['tolerations'], ['updateStrategy'], ['nodeSelector'], ['affinity']])('drops a default with --set %s=null, as charts usually allow', (key) => {
      const objects = helmTemplate(tools!, [], [`${key}=null`]);
      for (const o of objects) validateObject(o);
      const pod = podSpecOf(objects.find((o) => o.kind === 'DaemonSet')!);
      if (key === 'resources') expect(pod.containers[0]!.resources).toBeUndefined();
      if (key === 'tolerations') expect(pod['tolerations']).toBeUndefined();
      if (key === 'updateStrategy') expect((objects.find((o) => o.kind === 'DaemonSet')!['spec'] as Record<string, unknown>)['updateStrategy']).toBeUndefined();
    });

    it('refuses a ServiceMonitor without the Service it would select, and says what to do', () => {
      expect(() => helmTemplate(tools!, [], ['service.enabled=false', 'serviceMonitor.enabled=true'])).toThrow(/serviceMonitor\.enabled=true needs service\.enabled=true.*podMonitor\.enabled=true/);
      expect(kinds(helmTemplate(tools!, [], ['service.enabled=false', 'podMonitor.enabled=true']))).toEqual(['DaemonSet', 'PodMonitor', 'ServiceAccount']);
    });

    it('selects its own pods and Service: the ServiceMonitor the Service, the Service and PodMonitor the pods', () => {
      const objects = helmTemplate(tools!, [], EVERYTHING);
      const get = (kind: string) => objects.find((o) => o.kind === kind)!;
      const podLabels = ((get('DaemonSet')['spec'] as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels);
      const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
      expect(matches((get('Service')['spec'] as { selector: Record<string, string> }).selector, podLabels)).toBe(true);
      expect(matches((get('PodMonitor')['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, podLabels)).toBe(true);
      expect(matches((get('ServiceMonitor')['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, get('Service').metadata.labels!)).toBe(true);
    });
  });

  describe('the Kustomize overlays', () => {
    it('are the three modes', () => {
      expect(overlays.sort()).toEqual(['daemonset', 'node-and-pods', 'sidecar']);
    });

    it.each(overlays.map((o) => [o]))('kubectl kustomize %s renders objects that validate against their schemas', (overlay) => {
      const objects = kustomize(tools!, overlay);
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects) validateObject(o);
    });

    it.each([['daemonset'], ['node-and-pods']])('%s creates the namespace it puts everything in', (overlay) => {
      const objects = kustomize(tools!, overlay);
      const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
      expect(namespaces).toEqual(['tcpstate-exporter']);
      for (const o of objects.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('tcpstate-exporter');
    });
  });
});
