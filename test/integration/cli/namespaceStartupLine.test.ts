import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { CLI, fixture } from '../../helpers/paths.js';
import { AS_NOBODY, canDropPrivileges } from '../../helpers/privileges.js';

const linux = process.platform === 'linux';
// Only the sockets collector: the line is logged when it picks its source.
const ARGS = ['snapshot', '--log.level=debug', '--log.format=json', '--format=json', '--no-collector.sysctl', '--no-collector.snmp', '--no-collector.netstat', '--no-collector.sockstat'];

/** The one start-up line that says where the socket table comes from. */
function namespaceLine(stderr: string): Record<string, unknown> {
  const lines = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => typeof r['msg'] === 'string' && (r['msg'] as string).startsWith('socket table '));
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

/** pid 1's namespace, or why it cannot be read (a sandbox may refuse even root: EACCES). */
function pid1Netns(): { netns: string } | { error: string } {
  try {
    return { netns: readlinkSync('/proc/1/ns/net') };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}

/**
 * `unshare --pid --fork --mount-proc`: a PID namespace with its own /proc, in which pid 1 is a
 * process of ours (readable, unlike the machine's init in a sandbox).
 */
const canUnshare = linux && process.getuid?.() === 0 && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

describe.runIf(linux)('which network namespace the socket table comes from (one log line at start)', () => {
  it('in this namespace, with /proc: "host" when pid 1 shares it, "own" when not, "unknown" when pid 1 is unreadable', () => {
    const own = readlinkSync('/proc/self/ns/net');
    const pid1 = pid1Netns();
    const want = 'error' in pid1 ? { namespace: 'unknown', pid1_error: pid1.error, level: 'info' } : pid1.netns === own ? { namespace: 'host', level: 'info' } : { namespace: 'own', level: 'warn' };
    const r = spawnSync(CLI, ARGS, { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(namespaceLine(r.stderr)).toMatchObject({ ...want, netns: own, procfs: '/proc' });
  });

  it('on a fixture tree: files, no namespace', () => {
    const r = spawnSync(CLI, [...ARGS, `--path.procfs=${fixture('proc')}`], { encoding: 'utf8', timeout: 20_000 });
    expect(namespaceLine(r.stderr)).toMatchObject({ level: 'info', msg: 'socket table read from files under --path.procfs, not from a live network namespace' });
  });

  it('on a fixture tree with the netlink source: warns that the live table and the files describe different hosts', () => {
    const r = spawnSync(CLI, [...ARGS, `--path.procfs=${fixture('proc')}`, '--collector.source=netlink'], { encoding: 'utf8', timeout: 20_000 });
    expect(namespaceLine(r.stderr)).toMatchObject({ level: 'warn', netns: readlinkSync('/proc/self/ns/net'), procfs: fixture('proc') });
    expect(namespaceLine(r.stderr)['msg']).toMatch(/describe different hosts/);
  });

  it.runIf(canDropPrivileges)('unprivileged, pid 1 unreadable: says it cannot tell, with the reason', () => {
    const r = spawnSync('setpriv', [...AS_NOBODY, CLI, ...ARGS], { encoding: 'utf8', timeout: 20_000 });
    expect(namespaceLine(r.stderr)).toMatchObject({ level: 'info', namespace: 'unknown', pid1_error: 'EACCES', netns: readlinkSync('/proc/self/ns/net') });
  });

  it.runIf(canUnshare)('as pid 1 of a PID namespace (the same network as pid 1): "host"', () => {
    const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', CLI, ...ARGS], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(namespaceLine(r.stderr)).toMatchObject({ level: 'info', namespace: 'host', netns: readlinkSync('/proc/self/ns/net') });
  });

  describe.runIf(canUnshare && canCreateNetns())('in a network namespace of its own, pid 1 in the original one (a container given the host /proc without hostNetwork)', () => {
    // Made in beforeAll, not while the file is collected: a run that filters these tests out
    // (vitest -t) runs no hooks, and would leave the namespace behind.
    let ns: Netns | undefined;
    beforeAll(() => {
      ns = new Netns('tcpstate-nsline');
    });
    afterAll(() => ns?.destroy());

    for (const source of ['netlink', 'procfs']) {
      it(`warns that only its own sockets are counted (${source} source), naming both namespaces`, () => {
        const theirs = ns!.run('readlink', ['/proc/self/ns/net']).stdout.trim();
        // sh stays pid 1 (a command after it keeps dash from exec'ing), in this network namespace.
        const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', 'ip netns exec "$0" "$@"; exit $?', ns!.name, CLI, ...ARGS, `--collector.source=${source}`], {
          encoding: 'utf8',
          timeout: 20_000,
        });
        expect(r.status).toBe(0);
        const line = namespaceLine(r.stderr);
        expect(line).toMatchObject({ level: 'warn', namespace: 'own', netns: theirs, pid1_netns: readlinkSync('/proc/self/ns/net') });
        expect(line['netns']).not.toBe(line['pid1_netns']);
        expect(line['msg']).toMatch(/--network host, Kubernetes hostNetwork: true/);
      });
    }
  });
});
