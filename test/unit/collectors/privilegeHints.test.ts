import { mkdirSync, mkdtempSync, readdirSync as realReaddir, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { NetnsCollector } from '../../../src/collectors/netnsCollector.js';
import { DEFAULT_NETNS_OPTIONS } from '../../../src/collectors/options.js';
import { unreadableProcessesWarning } from '../../../src/collectors/privilegeHint.js';
import { ProcessesCollector } from '../../../src/collectors/processesCollector.js';
import type { Log } from '../../../src/model/log.js';
import { hasCapability, parseEffectiveCapabilities } from '../../../src/parse/capabilities.js';
import { readEffectiveCapabilities } from '../../../src/sources/ownCapabilities.js';
import { ProcfsSocketSource } from '../../../src/sources/procfsSocketSource.js';
import { fixture } from '../../helpers/paths.js';

/**
 * Paths whose read fails with EACCES, as the kernel refuses another user's /proc/<pid>/ns/net or
 * fd/ (ptrace_may_access()). A fixture cannot make them fail: the tests run as root, which file
 * permissions do not stop; so node:fs refuses them here, and only them.
 */
const denied = vi.hoisted(() => ({ suffixes: [] as string[] }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const refuse = (path: unknown): void => {
    if (typeof path === 'string' && denied.suffixes.some((s) => path.endsWith(s))) throw Object.assign(new Error(`EACCES: permission denied, '${path}'`), { code: 'EACCES' });
  };
  const readlinkSync = ((path: string, ...rest: []) => (refuse(path), fs.readlinkSync(path, ...rest))) as typeof fs.readlinkSync;
  const readdirSync = ((path: string, ...rest: []) => (refuse(path), fs.readdirSync(path, ...rest))) as typeof fs.readdirSync;
  return { ...fs, default: { ...fs, readlinkSync, readdirSync }, readlinkSync, readdirSync };
});

// /proc/self/status lines as Linux 6.x writes them (fs/proc/array.c), for three kinds of exporter.
const status = (capEff: string): string => `Name:\tnode\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t${capEff}\nCapEff:\t${capEff}\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\n`;
const FULL_ROOT = '000001ffffffffff';
const NOBODY = '0000000000000000';
/** CAP_SYS_PTRACE (19) alone: 1 << 19. */
const PTRACE_ONLY = '0000000000080000';

describe('the effective capabilities in /proc/self/status', () => {
  it.each<[string, string, boolean | undefined, boolean | undefined]>([
    ['full root', status(FULL_ROOT), true, true],
    ['nobody', status(NOBODY), false, false],
    ['CAP_SYS_PTRACE only (setcap cap_sys_ptrace+ep)', status(PTRACE_ONLY), true, false],
    ['CAP_DAC_READ_SEARCH only', status('0000000000000004'), false, true],
    ['no CapEff line', 'Name:\tnode\nCapPrm:\t000001ffffffffff\n', undefined, undefined],
    ['a malformed CapEff line', 'CapEff:\tzz01ffffffffffff\n', undefined, undefined],
  ])('%s', (_name, text, ptrace, dac) => {
    const caps = parseEffectiveCapabilities(text);
    expect(caps === undefined ? undefined : hasCapability(caps, 'CAP_SYS_PTRACE')).toBe(ptrace);
    expect(caps === undefined ? undefined : hasCapability(caps, 'CAP_DAC_READ_SEARCH')).toBe(dac);
  });
});

const trees: string[] = [];
/** test/fixtures/proc-pods (see make-pod-tree.py) with a self/status whose CapEff is `capEff` (none: no self/). */
function podTree(capEff: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-caps-'));
  trees.push(dir);
  for (const e of realReaddir(fixture('proc-pods'))) symlinkSync(join(fixture('proc-pods'), e), join(dir, e));
  if (capEff !== undefined) {
    mkdirSync(join(dir, 'self'));
    writeFileSync(join(dir, 'self', 'status'), status(capEff));
  }
  return dir;
}
afterAll(() => {
  for (const d of trees) rmSync(d, { recursive: true, force: true });
});

describe('readEffectiveCapabilities under --path.procfs', () => {
  it('reads <procfs>/self/status, and gives undefined for a tree without it', async () => {
    expect(await readEffectiveCapabilities(podTree(PTRACE_ONLY))).toBe(1n << 19n);
    expect(await readEffectiveCapabilities(podTree(undefined))).toBeUndefined();
  });
});

interface Said {
  fields: Record<string, unknown>;
  msg: string;
}
function recordingLog(): Log & { warnings: Said[] } {
  const warnings: Said[] = [];
  const none = (): void => undefined;
  return { warnings, debug: none, info: none, error: none, warn: (fields: object, msg: string) => warnings.push({ fields: { ...fields }, msg }) };
}

describe('the warning about processes the exporter cannot read', () => {
  beforeEach(() => {
    // Two of proc-pods' processes: 2001 (a pod's sandbox) and 700 (leakyapp).
    denied.suffixes = ['/2001/ns/net', '/700/ns/net', '/2001/fd', '/700/fd'];
  });

  it('netns: without CAP_SYS_PTRACE (nobody), says to grant it', async () => {
    const tree = podTree(NOBODY);
    const log = recordingLog();
    const r = await new NetnsCollector(DEFAULT_NETNS_OPTIONS, new ProcfsSocketSource(tree)).collect({ procfs: tree, log });
    expect(r.unreadableProcesses).toBe(2);
    expect(log.warnings).toEqual([
      { fields: { unreadable: 2, errno: '2 EACCES' }, msg: 'cannot read the network namespace of some processes (needs CAP_SYS_PTRACE); their namespaces are not collected' },
    ]);
  });

  it('netns: with CAP_SYS_PTRACE (full root), does not ask for it: says what was seen', async () => {
    const tree = podTree(FULL_ROOT);
    const log = recordingLog();
    await new NetnsCollector(DEFAULT_NETNS_OPTIONS, new ProcfsSocketSource(tree)).collect({ procfs: tree, log });
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]!.msg).not.toContain('needs');
    expect(log.warnings[0]).toEqual({
      fields: { unreadable: 2, errno: '2 EACCES', capabilities: 'CAP_SYS_PTRACE' },
      msg: "cannot read the network namespace of 2 processes (2 EACCES) although the exporter has CAP_SYS_PTRACE: something else denies it (a security module such as AppArmor or SELinux, a sandbox, or a user namespace of the exporter's own); their namespaces are not collected",
    });
  });

  it('netns: where its capabilities cannot be read (no self/status), keeps the hint', async () => {
    const tree = podTree(undefined);
    const log = recordingLog();
    await new NetnsCollector(DEFAULT_NETNS_OPTIONS, new ProcfsSocketSource(tree)).collect({ procfs: tree, log });
    expect(log.warnings.map((w) => w.msg)).toEqual(['cannot read the network namespace of some processes (needs CAP_SYS_PTRACE); their namespaces are not collected']);
  });

  it('processes: names only the capability it lacks, and none when it has both', async () => {
    const scan = async (capEff: string): Promise<Said[]> => {
      const tree = podTree(capEff);
      const log = recordingLog();
      const r = await new ProcessesCollector(new ProcfsSocketSource(tree), { intervalMs: 60_000, top: 5, pids: false }).collect({ procfs: tree, log });
      expect(r.processesUnreadable).toBe(2);
      return log.warnings;
    };
    const first = expect.stringMatching(/\/(2001|700)\/fd: EACCES$/);
    expect(await scan(NOBODY)).toEqual([
      {
        fields: { unreadable: 2, errno: '2 EACCES', scanned: 8, first },
        msg: 'cannot read the descriptor tables of some processes (needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH); their sockets count as unattributed',
      },
    ]);
    expect((await scan(PTRACE_ONLY)).map((w) => w.msg)).toEqual(['cannot read the descriptor tables of some processes (needs CAP_DAC_READ_SEARCH); their sockets count as unattributed']);
    const root = await scan(FULL_ROOT);
    expect(root.map((w) => w.msg)).toEqual([
      "cannot read the descriptor tables of 2 processes (2 EACCES) although the exporter has CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH: something else denies it (a security module such as AppArmor or SELinux, a sandbox, or a user namespace of the exporter's own); their sockets count as unattributed",
    ]);
    expect(root[0]!.fields).toMatchObject({ unreadable: 2, errno: '2 EACCES', capabilities: 'CAP_SYS_PTRACE CAP_DAC_READ_SEARCH' });
  });

  it('counts each errno apart', () => {
    const said = unreadableProcessesWarning({ reading: 'x', consequence: 'y', needs: ['CAP_SYS_PTRACE'], unreadable: 3, errors: { EACCES: 2, EPERM: 1 } }, 1n << 19n);
    expect(said.msg).toBe("cannot read x of 3 processes (2 EACCES, 1 EPERM) although the exporter has CAP_SYS_PTRACE: something else denies it (a security module such as AppArmor or SELinux, a sandbox, or a user namespace of the exporter's own); y");
  });
});
