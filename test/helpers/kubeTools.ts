import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './paths.js';

export const CHART = join(REPO_ROOT, 'helm', 'tcpstate-exporter');
export const OVERLAYS = join(REPO_ROOT, 'deploy', 'kubernetes');

/**
 * Helm 4 and kubectl (with kustomize), the official static binaries: TCPSTATE_HELM and
 * TCPSTATE_KUBECTL, which scripts/test.sh sets (scripts/lib/cache.sh, k8s_tools). In CI
 * (CI=true) missing tools fail instead of skipping.
 */
export interface KubeTools {
  helm: string;
  kubectl: string;
}

export function kubeTools(): KubeTools | undefined {
  const helm = process.env['TCPSTATE_HELM'];
  const kubectl = process.env['TCPSTATE_KUBECTL'];
  if (helm && kubectl && existsSync(helm) && existsSync(kubectl)) return { helm, kubectl };
  if (process.env['CI'] === 'true') throw new Error('helm and kubectl are required in CI: set TCPSTATE_HELM and TCPSTATE_KUBECTL (scripts/test.sh does)');
  return undefined;
}

/** A rendered Kubernetes object: what every one has, the rest untyped. */
export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(tool: string, args: readonly string[]): ToolResult {
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function parseObjects(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as unknown)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

/**
 * `helm template` of the chart with these values files (paths relative to the chart) and
 * --set pairs; throws with helm's message when it refuses.
 */
export function helmTemplate(tools: KubeTools, files: readonly string[] = [], sets: readonly string[] = [], release = 'tcpstate'): KubeObject[] {
  const args = ['template', release, CHART, '--namespace', 'monitoring', ...files.flatMap((f) => ['-f', join(CHART, f)]), ...sets.flatMap((s) => ['--set', s])];
  const r = runTool(tools.helm, args);
  if (r.status !== 0) throw new Error(`helm ${args.slice(0, 3).join(' ')} ${files.join(' ')} ${sets.join(' ')}: ${r.stderr.trim()}`);
  return parseObjects(r.stdout);
}

/** `kubectl kustomize` of an overlay directory under deploy/kubernetes. */
export function kustomize(tools: KubeTools, overlay: string): KubeObject[] {
  const r = runTool(tools.kubectl, ['kustomize', join(OVERLAYS, overlay)]);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${overlay}: ${r.stderr.trim()}`);
  return parseObjects(r.stdout);
}

/** The Kubernetes (kubernetes-models) and prometheus-operator schemas of every kind we render. */
const MODELS: Readonly<Record<string, new (o: never) => { validate(): void }>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/Deployment': Deployment,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Validates an object against its kind's schema; throws naming the object and the violation. */
export function validateObject(o: KubeObject): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  try {
    new Model(o as never).validate();
  } catch (err) {
    throw new Error(`${o.kind}/${o.metadata.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The pod template of a DaemonSet or Deployment. */
export interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  shareProcessNamespace?: boolean;
  containers: ContainerSpec[];
  volumes?: Array<{ name: string; hostPath?: { path: string; type?: string } }>;
  [key: string]: unknown;
}

export interface ContainerSpec {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  securityContext?: {
    runAsUser?: number;
    runAsGroup?: number;
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
  };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  [key: string]: unknown;
}

export function podSpecOf(o: KubeObject): PodSpec {
  return (o['spec'] as { template: { spec: PodSpec } }).template.spec;
}
