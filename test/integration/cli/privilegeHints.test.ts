import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI } from '../../helpers/paths.js';
import { AS_NOBODY, canDropPrivileges } from '../../helpers/privileges.js';

/** The netns collector's one warning about the processes whose /proc/<pid>/ns/net it could not read. */
function netnsWarning(wrapper: string, wrapperArgs: readonly string[]): { msg: string; errno: string; unreadable: number } | undefined {
  const r = spawnSync(wrapper, [...wrapperArgs, process.execPath, CLI, 'snapshot', '--collector.netns', '--log.format=json'], { encoding: 'utf8', timeout: 60_000 });
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; errno: string; unreadable: number });
  return lines.find((l) => l.msg.startsWith('cannot read the network namespace'));
}

/** Whether this kernel lets us make a user namespace (unprivileged_userns_clone, an LSM may refuse it). */
const canUnshareUser = process.platform === 'linux' && spawnSync('unshare', ['--user', '--map-root-user', 'true']).status === 0;

describe('what the exporter says of the network namespaces it cannot read, on the real /proc', () => {
  it.runIf(canDropPrivileges)('as nobody (no capability): that it needs CAP_SYS_PTRACE', () => {
    const w = netnsWarning('setpriv', AS_NOBODY);
    expect(w?.msg).toBe('cannot read the network namespace of some processes (needs CAP_SYS_PTRACE); their namespaces are not collected');
    expect(w?.errno).toMatch(/^\d+ EACCES$/);
  });

  // Root of a user namespace of its own: CapEff shows every capability, which count over that
  // namespace only, so the host's processes stay unreadable: granting CAP_SYS_PTRACE is no answer.
  it.runIf(canUnshareUser)('as the root of a user namespace of its own (every capability, none over the host): not to grant it, but what it saw', () => {
    const w = netnsWarning('unshare', ['--user', '--map-root-user']);
    expect(w).toBeDefined();
    expect(w!.msg).not.toContain('needs CAP_SYS_PTRACE');
    expect(w!.msg).toMatch(/^cannot read the network namespace of (\d+) process(?:es)? \(\1 EACCES\) although the exporter has CAP_SYS_PTRACE: something else denies it/);
    expect(w!.errno).toBe(`${w!.unreadable} EACCES`);
  });
});

/** Whether capsh can run a command with CAP_SYS_PTRACE out of its bounding set (root only). */
const canDropPtrace = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('capsh', ['--drop=cap_sys_ptrace', '--', '-c', 'true']).status === 0;

// Root without CAP_SYS_PTRACE, as in Docker's default capability set: /proc/<pid>/fd is checked by
// its mode (root lists it), each link in it by ptrace_may_access(), which refuses a tracer whose
// permitted capabilities are not a superset of the target's. Before, every such link was taken for
// a descriptor closed since the readdir: every process "scanned", none unreadable, no warning.
describe.runIf(canDropPtrace)('the processes collector as root without CAP_SYS_PTRACE, on the real /proc', () => {
  it("counts the processes whose descriptor links it cannot read as unreadable and says it needs CAP_SYS_PTRACE", () => {
    const r = spawnSync('capsh', ['--drop=cap_sys_ptrace', '--', '-c', `exec ${process.execPath} ${CLI} snapshot --collector.processes --format json --log.format=json`], { encoding: 'utf8', timeout: 60_000 });
    const report = JSON.parse(r.stdout) as { data: { processes?: { processesUnreadable: number } } };
    expect(report.data.processes?.processesUnreadable).toBeGreaterThan(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; errno?: string });
    const w = lines.find((l) => l.msg.startsWith('cannot read the descriptor tables'));
    expect(w?.msg).toBe('cannot read the descriptor tables of some processes (needs CAP_SYS_PTRACE); their sockets count as unattributed');
    expect(w?.errno).toMatch(/^\d+ EACCES$/);
  });
});
