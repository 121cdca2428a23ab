import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/exporterProcess.js';
import { containerLogs, containerState, fetchInNetns, podman, podmanSetup, processView, removeContainers } from '../helpers/podman.js';

const setup = podmanSetup();

/** Every path in every layer of an image (podman save: one tar per layer). */
function layerPaths(image: string): string[][] {
  const dir = mkdtempSync(join(tmpdir(), 'tcpstate-layers-'));
  try {
    podman(setup!, ['save', '--format', 'docker-dir', '--output', join(dir, 'image'), image]);
    const manifest = JSON.parse(readFileSync(join(dir, 'image', 'manifest.json'), 'utf8')) as { layers: Array<{ digest: string }> };
    return manifest.layers.map((l) => {
      const r = spawnSync('tar', ['-tf', join(dir, 'image', l.digest.replace(/^sha256:/, ''))], { encoding: 'utf8', maxBuffer: 1 << 28 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PACKAGE_MANAGERS = /^(\.\/)?(usr\/local\/lib\/node_modules\/(npm|corepack)\/|usr\/local\/bin\/(npm|npx|corepack|yarn)$|opt\/yarn-)/;

describe.runIf(setup !== undefined)('the image built from the Dockerfile', () => {
  const names: string[] = [];
  afterAll(() => removeContainers(setup!, names));

  /** Starts the image in a network namespace of its own (--network none: loopback only). */
  const run = (name: string, args: readonly string[] = []): number => {
    names.push(name);
    podman(setup!, ['run', '--detach', '--name', name, '--log-driver', 'k8s-file', '--network', 'none', '--read-only', '--read-only-tmpfs=false', setup!.image, ...args]);
    return containerState(setup!, name).pid;
  };
  const scrape = async (pid: number, ready: RegExp): Promise<string> =>
    eventually(async () => {
      const { status, body } = fetchInNetns(pid, 'http://127.0.0.1:9816/metrics');
      return status === 200 && ready.test(body) ? body : undefined;
    }, 30_000, 'a first collection');

  it('has npm, corepack and yarn in no layer (the base image has them in its own)', () => {
    const base = layerPaths(setup!.appImage).flat();
    expect(base.filter((p) => PACKAGE_MANAGERS.test(p)).length, 'the check sees them in the base image').toBeGreaterThan(100);
    const layers = layerPaths(setup!.image);
    expect(layers.flat().filter((p) => PACKAGE_MANAGERS.test(p))).toEqual([]);
    // Nor any trace of the CA bundle and npmrc that CI mounts into the build's RUN steps.
    expect(layers.flat().filter((p) => /(^|\/)(run\/host-ca|npmrc$)/.test(p))).toEqual([]);
    expect(layers.flat()).toEqual(expect.arrayContaining([expect.stringMatching(/^(\.\/)?usr\/local\/bin\/node$/), expect.stringMatching(/^(\.\/)?app\/dist\/src\/cli\.js$/)]));
  });

  it('runs as uid 65532 with a read-only root filesystem, serves /metrics, and exits 0 on SIGTERM', async () => {
    const pid = run('tcpstate-image');
    const view = processView(pid);
    expect({ uid: view.uid, gid: view.gid, rootReadOnly: view.rootReadOnly }).toEqual({ uid: 65532, gid: 65532, rootReadOnly: true });
    const body = await scrape(pid, /^tcpstate_collector_success\{collector="sockets"\} 1$/m);
    expect(body).toMatch(/^tcpstate_build_info\{version="0\.1\.0",nodejs_version="v24\.\d+\.\d+"/m);
    // Its namespace holds exactly its own listener (and the scrape's connection).
    expect(body).toMatch(/^tcpstate_port_sockets\{role="server",port="9816",state="listen"\} 1$/m);
    expect(body).toMatch(/^tcpstate_sockets\{family="ipv6",state="listen"\} 1$/m);
    for (const name of ['sockets', 'sysctl', 'snmp', 'netstat', 'sockstat']) expect(body).toMatch(new RegExp(`^tcpstate_collector_success\\{collector="${name}"\\} 1$`, 'm'));
    expect(fetchInNetns(pid, 'http://127.0.0.1:9816/readyz').status).toBe(200);
    // podman stop sends SIGTERM and, 10 s later, SIGKILL (exit code 137): 0 means it stopped by itself.
    podman(setup!, ['stop', '--time', '10', 'tcpstate-image']);
    expect(containerState(setup!, 'tcpstate-image').exitCode).toBe(0);
    expect(containerLogs(setup!, 'tcpstate-image')).toMatch(/msg="shutting down" signal=SIGTERM/);
  });

  it('names its own process "node" in the processes collector, not the main thread\'s "MainThread"', async () => {
    const pid = run('tcpstate-image-processes', ['--web.listen-address=:9816', '--collector.processes']);
    const body = await scrape(pid, /^tcpstate_process_sockets\{/m);
    expect(body).toMatch(/^tcpstate_process_sockets\{process="node",pid="",state="listen"\} 1$/m);
    expect(body).not.toMatch(/process="MainThread"/);
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8')).toMatch(/^(MainThread|node)\n$/);
  });

  it('with --collector.source=systeminformation (no netstat or ss in the image) reports the sockets collector failed, not zero sockets', async () => {
    const pid = run('tcpstate-image-si', ['--web.listen-address=:9816', '--collector.source=systeminformation']);
    const body = await scrape(pid, /^tcpstate_collector_success\{collector="sockets"\} /m);
    expect(body).toMatch(/^tcpstate_collector_success\{collector="sockets"\} 0$/m);
    expect(body).not.toMatch(/^tcpstate_sockets\{/m);
    expect(containerLogs(setup!, 'tcpstate-image-si')).toMatch(/systeminformation cannot list sockets here/);
  });
});
