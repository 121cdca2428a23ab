import { statSync } from 'node:fs';
import { capabilitySet } from './podman.js';
import type { ContainerSpec, PodSpec } from './kubeTools.js';

/**
 * One container of a rendered pod spec as `podman run` arguments: what the kubelet would ask a
 * CRI runtime for. Fields that only matter to the scheduler or the API server are listed as such;
 * any other field throws, so a template that starts using one is not silently run without it.
 */
const POD_FIELDS_FOR_THE_CLUSTER = new Set(['serviceAccountName', 'automountServiceAccountToken', 'dnsPolicy', 'tolerations', 'nodeSelector', 'affinity', 'priorityClassName', 'imagePullSecrets']);
const POD_FIELDS_RUN = new Set(['hostNetwork', 'hostPID', 'shareProcessNamespace', 'securityContext', 'containers', 'volumes']);
const CONTAINER_FIELDS_FOR_THE_CLUSTER = new Set(['imagePullPolicy', 'ports', 'livenessProbe', 'readinessProbe']);
const CONTAINER_FIELDS_RUN = new Set(['name', 'image', 'command', 'args', 'env', 'resources', 'securityContext', 'volumeMounts']);
const SECURITY_FIELDS = new Set(['runAsUser', 'runAsGroup', 'runAsNonRoot', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'capabilities']);

export interface RunPlan {
  /** podman run arguments, up to and including the image, then the container's args. */
  args: string[];
  /** What the kernel must then show for the container's process. */
  expect: {
    uid: number | undefined;
    gid: number | undefined;
    effectiveCapabilities: bigint;
    boundingCapabilities: bigint;
    noNewPrivs: boolean;
    readOnlyRoot: boolean;
    hostNetwork: boolean;
    hostPID: boolean;
    memoryLimitBytes: number | undefined;
    /** container path → host path, read-only or not */
    hostMounts: Array<{ hostPath: string; mountPath: string; readOnly: boolean }>;
  };
  /** The probes, as paths and port numbers. */
  probes: Array<{ kind: string; path: string; port: number }>;
}

export interface RunChoices {
  name: string;
  /** The image to run instead of the spec's (which cannot be pulled here). */
  image: string;
  /** The user the image itself runs as (its USER), for runAsNonRoot and the expected uid. */
  imageUser: { uid: number; gid: number };
  /** Where a container without hostNetwork gets its network: 'none' (a namespace of its own) or 'container:<name>'. */
  podNetwork: string;
  /** Where a container of a pod with shareProcessNamespace gets its pid namespace: 'container:<name>'. */
  podPid?: string;
  /** The container's args as run; by default the spec's. */
  args?: (specArgs: string[]) => string[];
  /** Replaces the container's command (for an application image standing in for the spec's). */
  command?: string[];
}

export function planRun(pod: PodSpec, container: ContainerSpec, choices: RunChoices): RunPlan {
  for (const key of Object.keys(pod)) {
    if (!POD_FIELDS_RUN.has(key) && !POD_FIELDS_FOR_THE_CLUSTER.has(key)) throw new Error(`pod field ${key} is not run by this test: teach planRun what it means`);
  }
  for (const key of Object.keys(container)) {
    if (!CONTAINER_FIELDS_RUN.has(key) && !CONTAINER_FIELDS_FOR_THE_CLUSTER.has(key)) throw new Error(`container field ${key} is not run by this test: teach planRun what it means`);
  }
  const podSecurity = (pod['securityContext'] ?? {}) as { seccompProfile?: { type: string } };
  for (const key of Object.keys(podSecurity)) if (key !== 'seccompProfile') throw new Error(`pod securityContext.${key} is not run by this test`);
  // podman's default seccomp profile is its runtime default, as containerd's is Kubernetes's.
  if (podSecurity.seccompProfile && podSecurity.seccompProfile.type !== 'RuntimeDefault') throw new Error(`seccompProfile ${podSecurity.seccompProfile.type} is not run by this test`);

  const sc = container.securityContext ?? {};
  for (const key of Object.keys(sc)) if (!SECURITY_FIELDS.has(key)) throw new Error(`securityContext.${key} is not run by this test`);
  const args: string[] = ['run', '--detach', '--name', choices.name, '--log-driver', 'k8s-file'];

  // The user: runAsUser (with runAsGroup, else the user's group in the image, as CRI runtimes do), else the image's.
  if (sc.runAsUser !== undefined) args.push('--user', sc.runAsGroup !== undefined ? `${sc.runAsUser}:${sc.runAsGroup}` : String(sc.runAsUser));
  const uid = sc.runAsUser ?? choices.imageUser.uid;
  if (sc.runAsNonRoot && uid === 0) throw new Error(`${container.name}: runAsNonRoot with uid 0 (the kubelet would refuse to start it)`);
  const gid = sc.runAsGroup ?? (sc.runAsUser === undefined ? choices.imageUser.gid : sc.runAsUser === 0 ? 0 : undefined);

  // Capabilities: Kubernetes adds them to the bounding set; only uid 0 has them effective (no ambient capabilities).
  const drop = sc.capabilities?.drop ?? [];
  const add = sc.capabilities?.add ?? [];
  if (drop.length > 0 && !(drop.length === 1 && drop[0] === 'ALL')) throw new Error(`capabilities.drop ${drop.join(',')} is not run by this test (only ALL)`);
  if (drop.length === 0) throw new Error(`${container.name}: the runtime's default capabilities are not run by this test (drop ALL)`);
  args.push('--cap-drop=all', ...add.map((c) => `--cap-add=${c}`));
  const bounding = capabilitySet(add);
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt=no-new-privileges');
  if (sc.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false'); // Kubernetes mounts no tmpfs there

  args.push('--network', pod.hostNetwork ? 'host' : choices.podNetwork);
  if (pod.hostPID) args.push('--pid', 'host');
  else if (pod.shareProcessNamespace) {
    if (!choices.podPid) throw new Error('shareProcessNamespace needs the pid namespace of the pod\'s first container');
    args.push('--pid', choices.podPid);
  }

  const hostMounts: RunPlan['expect']['hostMounts'] = [];
  for (const m of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v) => v.name === m.name);
    if (!volume?.hostPath) throw new Error(`volume ${m.name} is not a hostPath: not run by this test`);
    if (volume.hostPath.type === 'Directory' && !statSync(volume.hostPath.path).isDirectory()) throw new Error(`hostPath ${volume.hostPath.path} is not a directory`);
    args.push('--volume', `${volume.hostPath.path}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
    hostMounts.push({ hostPath: volume.hostPath.path, mountPath: m.mountPath, readOnly: m.readOnly === true });
  }

  const limits = container.resources?.limits ?? {};
  const memoryLimitBytes = limits['memory'] !== undefined ? quantityBytes(limits['memory']) : undefined;
  if (memoryLimitBytes !== undefined) args.push(`--memory=${memoryLimitBytes}`);
  if (limits['cpu'] !== undefined) args.push(`--cpus=${cpuCores(limits['cpu'])}`);

  for (const e of container.env ?? []) {
    if (e.value === undefined) throw new Error(`env ${e.name} without a value (valueFrom) is not run by this test`);
    args.push('--env', `${e.name}=${e.value}`);
  }
  const command = choices.command ?? container.command;
  if (command) args.push(`--entrypoint=${JSON.stringify(command.slice(0, 1))}`);
  args.push(choices.image);
  if (command) args.push(...command.slice(1));
  args.push(...(choices.args ?? ((a) => a))(container.args ?? []));

  const port = (p: string | number): number => {
    if (typeof p === 'number') return p;
    const found = (container.ports ?? []).find((x) => x.name === p);
    if (!found) throw new Error(`probe port ${p} is not a port of ${container.name}`);
    return found.containerPort;
  };
  const probes = (['livenessProbe', 'readinessProbe'] as const).flatMap((kind) => {
    const get = container[kind]?.httpGet;
    return get ? [{ kind, path: get.path, port: port(get.port) }] : [];
  });

  return {
    args,
    expect: {
      uid,
      gid,
      effectiveCapabilities: uid === 0 ? bounding : 0n,
      boundingCapabilities: bounding,
      noNewPrivs: sc.allowPrivilegeEscalation === false,
      readOnlyRoot: sc.readOnlyRootFilesystem === true,
      hostNetwork: pod.hostNetwork === true,
      hostPID: pod.hostPID === true,
      memoryLimitBytes,
      hostMounts,
    },
    probes,
  };
}

/** A Kubernetes memory quantity (128Mi, 1G, 512M, 1048576) in bytes. */
export function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) throw new Error(`memory quantity ${q} is not understood`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2] ?? ''] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

/** A Kubernetes CPU quantity (500m, 2) in cores. */
function cpuCores(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(q);
  if (!m) throw new Error(`cpu quantity ${q} is not understood`);
  return Number(m[1]) / (m[2] ? 1000 : 1);
}
