import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canCreateNetns, Netns } from '../../../bench/netns.js';
import { startExporterIn, type NetnsExporter } from '../../helpers/netnsExporter.js';
import { canDropPrivileges } from '../../helpers/privileges.js';

/**
 * netns="host" is the host's namespace: pid 1's. An exporter that cannot read pid 1's link only
 * guesses it (the lowest readable pid) as root, where a sandbox's init may hide it; unprivileged,
 * the lowest pid it can read is its own, in its pod, and naming that "host" would mislabel the pod.
 */
describe.runIf(canCreateNetns() && canDropPrivileges)('the host label of --collector.netns, as nobody in a namespace of its own', () => {
  let ns: Netns;
  let exporter: NetnsExporter;

  beforeAll(async () => {
    ns = new Netns('tcpstate-hostlabel');
    exporter = await startExporterIn(ns, 19816, ['--collector.netns', '--collector.interval=200ms'], { asNobody: true });
  }, 30_000);
  afterAll(() => ns?.destroy());

  it('names its own namespace by inode, and no namespace "host"', () => {
    const inode = /net:\[(\d+)\]/.exec(readlinkSync(`/proc/${exporter.pid}/ns/net`))![1]!;
    const namespaces = new Set([...exporter.samples().keys()].filter((k) => k.startsWith('tcpstate_netns_sockets{')).map((k) => /netns="([^"]*)"/.exec(k)![1]));
    expect([...namespaces]).toEqual([inode]);
  });
});
