import { execFileSync } from 'node:child_process';
import { closeSync, constants, cpSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SysctlCollector } from '../../../src/collectors/sysctlCollector.js';
import { fixture } from '../../helpers/paths.js';

const SYSCTLS = ['ipv4/tcp_keepalive_time', 'ipv4/tcp_fin_timeout', 'ipv4/tcp_tw_reuse', 'ipv4/ip_local_port_range', 'ipv4/tcp_mem', 'core/somaxconn'];
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Opens the FIFO for writing if a reader has it open (O_NONBLOCK: ENXIO otherwise), else null. */
function openIfRead(path: string): number | null {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
}

/**
 * The sysctl collector reads its files all at once: during a sockets walk a pool read completes
 * only when the walk gives the event loop a turn (every 4 ms), so one file after another took
 * 130 ms. Some sysctls here are FIFOs that answer only when the test writes to them: the test
 * sees how many the collector has open at the same time (one, read one after the other).
 */
describe.runIf(process.platform === 'linux')('SysctlCollector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-sysctl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has several sysctl files open at once, and reads them all', async () => {
    cpSync(fixture('proc'), dir, { recursive: true });
    const fifos = SYSCTLS.map((s) => join(dir, 'sys/net', s));
    const content = new Map(fifos.map((f) => [f, readFileSync(f, 'utf8')]));
    for (const f of fifos) {
      rmSync(f);
      execFileSync('mkfifo', [f]);
    }
    const collecting = new SysctlCollector().collect({ procfs: dir, log: quiet });
    // Wait until two are open at once, or long enough that a second read would have started.
    let open: Array<[string, number]> = [];
    for (let i = 0; i < 200 && open.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
      for (const f of fifos) {
        if (open.some(([p]) => p === f)) continue;
        const fd = openIfRead(f);
        if (fd !== null) open.push([f, fd]);
      }
    }
    const atOnce = open.length;
    // Answer every FIFO, those opened later too, so the collection ends.
    const answered = new Set<string>();
    for (let i = 0; i < 500 && answered.size < fifos.length; i++) {
      for (const [f, fd] of open) {
        writeSync(fd, content.get(f)!);
        closeSync(fd);
        answered.add(f);
      }
      open = [];
      await new Promise((r) => setTimeout(r, 5));
      for (const f of fifos) {
        if (answered.has(f)) continue;
        const fd = openIfRead(f);
        if (fd !== null) open.push([f, fd]);
      }
    }
    const result = await collecting;
    expect(atOnce).toBeGreaterThanOrEqual(2);
    expect(result.values['tcp_mem']).toHaveLength(3);
    expect(result.values['ip_local_port_range']).toHaveLength(2);
    expect(result.values['somaxconn']).toHaveLength(1);
  });
});
