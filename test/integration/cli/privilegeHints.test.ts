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
    expect(w!.msg).toMatch(/^cannot read the network namespace of (\d+) processes \(\1 EACCES\) although the exporter has CAP_SYS_PTRACE: something else denies it/);
    expect(w!.errno).toBe(`${w!.unreadable} EACCES`);
  });
});
