import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCgroupIdentity } from '../../../src/parse/cgroup.js';
import { parsePortList } from '../../../src/parse/sysctlValue.js';
import { fixture } from '../../helpers/paths.js';

const UID = '6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b';
const ID = `${'0123456789abcdef'.repeat(4)}`;

describe('parseCgroupIdentity', () => {
  it.each([
    ['cgroup v2, systemd driver, containerd', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replaceAll('-', '_')}.slice/cri-containerd-${ID}.scope\n`, UID, ID],
    ['cgroup v2, systemd driver, CRI-O', `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID.replaceAll('-', '_')}.slice/crio-${ID}.scope\n`, UID, ID],
    ['cgroup v2, systemd driver, Guaranteed QoS (no QoS slice)', `0::/kubepods.slice/kubepods-pod${UID.replaceAll('-', '_')}.slice/cri-containerd-${ID}.scope\n`, UID, ID],
    ['cgroup v2, cgroupfs driver', `0::/kubepods/burstable/pod${UID}/${ID}\n`, UID, ID],
    ['cgroup v1, cgroupfs driver, one line per hierarchy', `12:pids:/kubepods/besteffort/pod${UID}/${ID}\n11:memory:/kubepods/besteffort/pod${UID}/${ID}\n1:name=systemd:/kubepods/besteffort/pod${UID}/${ID}\n`, UID, ID],
    ['cgroup v1, systemd driver, cri-dockerd', `4:memory:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replaceAll('-', '_')}.slice/docker-${ID}.scope\n`, UID, ID],
    ['the pod sandbox cgroup only (no container scope yet)', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replaceAll('-', '_')}.slice\n`, UID, null],
    ['plain Docker, cgroup v1', `12:pids:/docker/${ID}\n0::/\n`, null, ID],
    ['plain Docker, systemd driver', `0::/system.slice/docker-${ID}.scope\n`, null, ID],
    ['CRI-O conmon (the monitor, not the container)', `0::/kubepods.slice/kubepods-pod${UID.replaceAll('-', '_')}.slice/crio-conmon-${ID}.scope\n`, UID, null],
    ['a host service', '0::/system.slice/nginx.service\n', null, null],
    ['the root cgroup', '0::/\n', null, null],
    ['a 32-digit ID is no container ID', '4:memory:/process_api/db1a1203b823757cf0197fcf07f8a5d5\n0::/\n', null, null],
    ['an empty or broken file', 'garbage\n\n', null, null],
  ])('%s', (_name, text, podUid, containerId) => {
    expect(parseCgroupIdentity(text)).toEqual({ podUid, containerId });
  });

  it('prefers the unified (v2) path where a hybrid host has both', () => {
    const text = `4:memory:/docker/${'f'.repeat(64)}\n0::/kubepods/pod${UID}/${ID}\n`;
    expect(parseCgroupIdentity(text)).toEqual({ podUid: UID, containerId: ID });
  });

  it('reads every cgroup file of the proc-pods fixture tree', () => {
    const read = (pid: number) => parseCgroupIdentity(readFileSync(fixture(`proc-pods/${pid}/cgroup`), 'utf8'));
    expect(read(2001)).toEqual({ podUid: UID, containerId: expect.stringMatching(/^a{8}[0-9a-f]{48}c0ffee00$/) });
    expect(read(3001)).toEqual({ podUid: '0b7e9c1d-2f3a-4b5c-9d8e-7f6a5b4c3d2e', containerId: expect.stringMatching(/^b{8}/) });
    expect(read(4001)).toEqual({ podUid: null, containerId: expect.stringMatching(/^d{8}/) });
    expect(read(1)).toEqual({ podUid: null, containerId: null });
  });
});

describe('parsePortList', () => {
  it.each([
    ['', []],
    ['\n', []],
    ['8080\n', [8080]],
    ['9000-9003,8080\n', [8080, 9000, 9001, 9002, 9003]],
    ['22,22,21-22', [21, 22]],
  ])('"%s"', (text, ports) => {
    expect(parsePortList('ip_local_reserved_ports', text)).toEqual(ports);
  });

  it.each(['80,', 'a', '9-1', '70000', '1-2-3'])('rejects "%s"', (text) => {
    expect(() => parsePortList('ip_local_reserved_ports', text)).toThrow(/not a port or port range/);
  });
});
