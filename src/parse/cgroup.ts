/**
 * Kubernetes pod and container identity from /proc/<pid>/cgroup.
 *
 * Each line is "hierarchy-ID:controllers:path"; cgroup v2 has the single line "0::path", v1 one
 * line per hierarchy (the paths usually agree). The kubelet and the runtimes name the path:
 *   cgroupfs driver:  /kubepods/burstable/pod<uid>/<64-hex container id>
 *                     /kubepods/pod<uid>/<id>                 (Guaranteed QoS)
 *   systemd driver:   /kubepods.slice/kubepods-burstable.slice/
 *                       kubepods-burstable-pod<uid with _ for ->.slice/<runtime>-<id>.scope
 *                     with <runtime> cri-containerd (containerd), crio (CRI-O), docker (dockershim / cri-dockerd)
 *   plain Docker:     /docker/<id>  or  /system.slice/docker-<id>.scope
 * A container ID is 64 hex digits, the last such path component; CRI-O's "crio-conmon-<id>"
 * (the monitor process) is not the container.
 */
export interface CgroupIdentity {
  podUid: string | null;
  containerId: string | null;
}

const POD_UID = /(?:^|[/-])pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})(?:\.slice)?(?:\/|$)/;
const CONTAINER_ID = /^(?:(?:cri-containerd|crio|docker|containerd)-)?([0-9a-f]{64})(?:\.scope)?$/;

export function parseCgroupIdentity(text: string): CgroupIdentity {
  const paths = text
    .split('\n')
    .map((line) => {
      const first = line.indexOf(':');
      const second = first < 0 ? -1 : line.indexOf(':', first + 1);
      return second < 0 ? null : { v2: line.startsWith('0::'), path: line.slice(second + 1) };
    })
    .filter((p): p is { v2: boolean; path: string } => p !== null && p.path !== '' && p.path !== '/');
  // cgroup v2's unified path is authoritative where present; v1 hierarchies follow.
  paths.sort((a, b) => Number(b.v2) - Number(a.v2));
  let podUid: string | null = null;
  let containerId: string | null = null;
  for (const { path } of paths) {
    podUid ??= POD_UID.exec(path)?.[1]?.replaceAll('_', '-') ?? null;
    containerId ??= containerOf(path);
    if (podUid && containerId) break;
  }
  return { podUid, containerId };
}

function containerOf(path: string): string | null {
  const parts = path.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const m = CONTAINER_ID.exec(parts[i]!);
    if (m) return m[1]!;
  }
  return null;
}
