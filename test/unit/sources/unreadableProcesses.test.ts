import { describe, expect, it } from 'vitest';
import { refusalCode, UnreadableTally } from '../../../src/sources/unreadableProcesses.js';

const fsError = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: readlink '/proc/7/ns/net'`), { code });

describe('processes the kernel would not let a scan read', () => {
  it.each<{ name: string; err: unknown; want: string | undefined }>([
    { name: 'EACCES: ptrace_may_access() refused', err: fsError('EACCES'), want: 'EACCES' },
    { name: 'EPERM: a security module refused', err: fsError('EPERM'), want: 'EPERM' },
    { name: 'ENOENT: the process exited, not a refusal', err: fsError('ENOENT'), want: undefined },
    { name: 'ESRCH: not a refusal', err: fsError('ESRCH'), want: undefined },
    { name: 'an error without a code', err: new Error('boom'), want: undefined },
    { name: 'a thrown non-object', err: 'EACCES', want: undefined },
    { name: 'null', err: null, want: undefined },
  ])('$name', ({ err, want }) => {
    expect(refusalCode(err)).toBe(want);
  });

  it('counts every refused process once, in total and by errno code', () => {
    const tally = new UnreadableTally();
    expect([tally.unreadable, tally.unreadableErrors]).toEqual([0, {}]);
    for (const code of ['EACCES', 'EPERM', 'EACCES'] as const) tally.add(code);
    expect(tally.unreadable).toBe(3);
    expect(tally.unreadableErrors).toEqual({ EACCES: 2, EPERM: 1 });
  });
});
