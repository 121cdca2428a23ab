import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';

/**
 * podman as scripts/container-test.sh set it up: its own storage root, runc, cgroupfs. The
 * script passes the command line (TCPSTATE_PODMAN_ARGS, a JSON array), the image it built
 * (TCPSTATE_IMAGE) and the Node.js base image (TCPSTATE_APP_IMAGE, for application containers).
 */
export interface PodmanSetup {
  argv: string[];
  image: string;
  appImage: string;
}

export function podmanSetup(): PodmanSetup | undefined {
  const args = process.env['TCPSTATE_PODMAN_ARGS'];
  const image = process.env['TCPSTATE_IMAGE'];
  const appImage = process.env['TCPSTATE_APP_IMAGE'];
  if (!args || !image || !appImage) {
    if (process.env['CI'] === 'true') throw new Error('the container suite runs from scripts/container-test.sh (TCPSTATE_PODMAN_ARGS, TCPSTATE_IMAGE, TCPSTATE_APP_IMAGE)');
    return undefined;
  }
  return { argv: JSON.parse(args) as string[], image, appImage };
}

/** Runs podman to completion; a non-zero exit throws with its stderr. Returns stdout, trimmed. */
export function podman(setup: PodmanSetup, args: readonly string[]): string {
  const r = spawnSync(setup.argv[0]!, [...setup.argv.slice(1), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`podman ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A container's output so far, stdout and stderr (podman logs writes each to its own stream). */
export function containerLogs(setup: PodmanSetup, name: string): string {
  const r = spawnSync(setup.argv[0]!, [...setup.argv.slice(1), 'logs', name], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`podman logs ${name} exited with ${r.status}: ${r.stderr}`);
  return r.stdout + r.stderr;
}

/** A container's state, from podman inspect. */
export interface ContainerState {
  running: boolean;
  pid: number;
  exitCode: number;
}

export function containerState(setup: PodmanSetup, name: string): ContainerState {
  const [running, pid, exitCode] = podman(setup, ['inspect', '--format', '{{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}', name]).split(' ');
  return { running: running === 'true', pid: Number(pid), exitCode: Number(exitCode) };
}

/**
 * Removes containers, whatever their state (afterAll), the last started first: podman refuses to
 * remove a container whose namespaces another one still uses.
 */
export function removeContainers(setup: PodmanSetup, names: readonly string[]): void {
  for (const name of [...names].reverse()) spawnSync(setup.argv[0]!, [...setup.argv.slice(1), 'rm', '--force', '--ignore', '--time', '0', name]);
}

/**
 * What the kernel says about a process (host pid): its credentials and capability sets
 * (/proc/<pid>/status), namespaces (/proc/<pid>/ns/*), the options of its root mount
 * (/proc/<pid>/mountinfo) and its memory limit (cgroup v1 memory.limit_in_bytes, or v2 memory.max).
 */
export interface ProcessView {
  uid: number;
  gid: number;
  groups: number[];
  capEff: bigint;
  capBnd: bigint;
  noNewPrivs: boolean;
  netns: string;
  pidns: string;
  rootReadOnly: boolean;
  /** mount point → options, for every mount of the process. */
  mounts: Map<string, string>;
  memoryLimitBytes: number | undefined;
}

export function processView(pid: number): ProcessView {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
  const mounts = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean)) {
    const f = line.split(' ');
    mounts.set(f[4]!, f[5]!);
  }
  return {
    uid: Number(field('Uid').split(/\s+/)[0]),
    gid: Number(field('Gid').split(/\s+/)[0]),
    groups: field('Groups').split(/\s+/).filter(Boolean).map(Number),
    capEff: BigInt(`0x${field('CapEff')}`),
    capBnd: BigInt(`0x${field('CapBnd')}`),
    noNewPrivs: field('NoNewPrivs') === '1',
    netns: readlinkSync(`/proc/${pid}/ns/net`),
    pidns: readlinkSync(`/proc/${pid}/ns/pid`),
    rootReadOnly: (mounts.get('/') ?? '').split(',').includes('ro'),
    mounts,
    memoryLimitBytes: memoryLimit(pid),
  };
}

function memoryLimit(pid: number): number | undefined {
  const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = cgroups.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  const file = v1 ? `/sys/fs/cgroup/memory${v1.split(':')[2]}/memory.limit_in_bytes` : `/sys/fs/cgroup${cgroups.find((l) => l.startsWith('0::'))?.slice(3) ?? ''}/memory.max`;
  try {
    const text = readFileSync(file, 'utf8').trim();
    return text === 'max' ? undefined : Number(text);
  } catch {
    return undefined;
  }
}

/** Linux capability numbers (include/uapi/linux/capability.h) of the names pod specs use. */
const CAPABILITIES: Readonly<Record<string, number>> = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8,
  NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13, SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_ADMIN: 21,
  SYS_RESOURCE: 24, MKNOD: 27, AUDIT_WRITE: 29, SETFCAP: 31, BPF: 39, PERFMON: 38,
};

/** The capability set with exactly these names. */
export function capabilitySet(names: readonly string[]): bigint {
  let set = 0n;
  for (const n of names) {
    const bit = CAPABILITIES[n.replace(/^CAP_/, '')];
    if (bit === undefined) throw new Error(`unknown capability ${n}`);
    set |= 1n << BigInt(bit);
  }
  return set;
}

/** Runs a command in a process's network namespace (nsenter), to completion; stdout. */
export function inNetns(pid: number, command: readonly string[]): string {
  const r = spawnSync('nsenter', [`--target=${pid}`, '--net', '--', ...command], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`nsenter --net ${command.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** GETs a URL from inside a process's network namespace with this Node.js: status and body. */
export function fetchInNetns(pid: number, url: string): { status: number; body: string } {
  const out = inNetns(pid, [
    process.execPath,
    '-e',
    'fetch(process.argv[1]).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })), (e) => { console.log(JSON.stringify({ status: 0, body: String(e) })); })',
    url,
  ]);
  return JSON.parse(out) as { status: number; body: string };
}
