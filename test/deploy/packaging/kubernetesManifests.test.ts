import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { USAGE } from '../../../src/config.js';
import { deepMerge } from '../../helpers/deepMerge.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const BASE = join(REPO_ROOT, 'deploy', 'kubernetes');
type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };
const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'v1/Namespace': Namespace,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

interface Kustomization {
  resources?: string[];
  patches?: Array<{ path: string }>;
}

/** What `kubectl apply -k <dir>` would create: its resources (directories recursively) with its patches applied. */
function build(dir: string): Obj[] {
  const k = readYaml(join(dir, 'kustomization.yaml'))[0] as Kustomization;
  let objects: Obj[] = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    objects.push(...(existsSync(join(path, 'kustomization.yaml')) ? build(path) : (readYaml(path) as Obj[])));
  }
  for (const p of k.patches ?? []) {
    for (const patch of readYaml(join(dir, p.path)) as Obj[]) {
      const i = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      expect(i, `patch target ${patch.kind}/${patch.metadata.name}`).toBeGreaterThanOrEqual(0);
      objects = objects.map((o, j) => (j === i ? deepMerge(o, patch, true) : o));
    }
  }
  return objects;
}

function readYaml(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as unknown);
}

interface PodTemplate {
  spec: {
    hostNetwork?: boolean;
    hostPID?: boolean;
    containers: Array<{ name: string; args?: string[]; securityContext: { runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities: { drop?: string[]; add?: string[] } }; volumeMounts?: Array<{ mountPath: string; readOnly?: boolean }> }>;
  };
}
const exporterOf = (o: Obj) => ((o['spec'] as { template: PodTemplate }).template.spec.containers.find((c) => c.name === 'tcpstate-exporter'))!;
const podOf = (o: Obj) => (o['spec'] as { template: PodTemplate }).template.spec;

const modes = readdirSync(BASE).filter((d) => existsSync(join(BASE, d, 'kustomization.yaml')));

describe('deploy/kubernetes', () => {
  it('has the DaemonSet (node only, node and pods) and sidecar modes', () => {
    expect(modes.sort()).toEqual(['daemonset', 'node-and-pods', 'sidecar']);
  });

  it.each(modes.map((m) => [m] as const))('%s builds into objects that validate against the Kubernetes schemas', (mode) => {
    const objects = build(join(BASE, mode));
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion} ${o.kind}`).toBeDefined();
      expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
    for (const o of objects.filter((x) => x.kind === 'DaemonSet' || x.kind === 'Deployment')) {
      for (const arg of exporterOf(o).args ?? []) expect(USAGE, arg).toContain(arg.split('=')[0]!);
    }
  });

  it('a schema violation is caught (the validation has teeth)', () => {
    const ds = build(join(BASE, 'daemonset')).find((o) => o.kind === 'DaemonSet')!;
    const broken = deepMerge(ds, { spec: { template: { spec: { containers: 'not a list' } } } });
    expect(() => new DaemonSet(broken as never).validate()).toThrow();
  });

  it('node only: the node network namespace, no privileges at all', () => {
    const ds = build(join(BASE, 'daemonset')).find((o) => o.kind === 'DaemonSet')!;
    expect(podOf(ds)).toMatchObject({ hostNetwork: true });
    expect(podOf(ds).hostPID).toBeUndefined();
    expect(exporterOf(ds).securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(exporterOf(ds).securityContext.capabilities.add).toBeUndefined();
  });

  it('node and pods: hostPID, the host /proc read-only, and exactly the capabilities the collectors need', () => {
    const ds = build(join(BASE, 'node-and-pods')).find((o) => o.kind === 'DaemonSet')!;
    const c = exporterOf(ds);
    expect(podOf(ds)).toMatchObject({ hostNetwork: true, hostPID: true });
    expect(c.args).toEqual(expect.arrayContaining(['--path.procfs=/host/proc', '--collector.processes', '--collector.netns']));
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['SYS_PTRACE', 'DAC_READ_SEARCH', 'SYS_ADMIN'] });
    expect(c.volumeMounts).toContainEqual({ name: 'host-proc', mountPath: '/host/proc', readOnly: true });
  });

  it('sidecar: the pod\'s own namespace, no host access, no capabilities', () => {
    const d = build(join(BASE, 'sidecar')).find((o) => o.kind === 'Deployment')!;
    expect(podOf(d).hostNetwork).toBeUndefined();
    expect(podOf(d).hostPID).toBeUndefined();
    expect(exporterOf(d).securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(exporterOf(d).securityContext.capabilities.add).toBeUndefined();
    expect(podOf(d).containers.map((c) => c.name)).toEqual(['app', 'tcpstate-exporter']);
  });
});
