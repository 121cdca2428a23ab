import { readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns } from '../../bench/netns.js';
import { eventually } from '../helpers/exporterProcess.js';
import { helmTemplate, kubeTools, kustomize, podSpecOf, type KubeObject } from '../helpers/kubeTools.js';
import { holdSockets, type Held } from '../helpers/socketHolder.js';
import { containerLogs, containerState, fetchInNetns, inNetns, podman, podmanSetup, processView, removeContainers } from '../helpers/podman.js';
import { planRun, type RunPlan } from '../helpers/podSpec.js';
import { processesWithRefusedLinks } from '../helpers/refusedLinks.js';

/**
 * The pod specs the chart and the Kustomize overlays render, run with podman as a kubelet would
 * run them (test/helpers/podSpec.ts), on this host: for each, what the kernel gives the container
 * (user, capabilities, namespaces, mounts, memory limit) matches the spec, and the exporter sees
 * what the spec's mode promises (the node's sockets; with the pods option also its processes
 * and every network namespace; in the sidecar only its pod's sockets).
 */
const setup = podmanSetup();
const tools = kubeTools();
const IMAGE_USER = { uid: 65532, gid: 65532 };
const HOST_NETNS = readlinkSync('/proc/self/ns/net');
const HOST_PIDNS = readlinkSync('/proc/self/ns/pid');


async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const metric = (body: string, name: string, labels: string): number | undefined => {
  const line = body.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};
const exporterOf = (o: KubeObject) => podSpecOf(o).containers.find((c) => c.name === 'tcpstate-exporter')!;

/** The kernel's view of a container's process against what its spec asks for. */
function checkProcess(pid: number, plan: RunPlan, pod: { netns?: string; pidns?: string } = {}): void {
  const view = processView(pid);
  const want = plan.expect;
  expect({ uid: view.uid, gid: view.gid }).toEqual({ uid: want.uid, gid: want.gid ?? view.gid });
  // No supplementary group but the primary one (CRI runtimes list it too).
  expect(view.groups.filter((g) => g !== view.gid)).toEqual([]);
  expect(view.capEff.toString(16), 'effective capabilities').toBe(want.effectiveCapabilities.toString(16));
  expect(view.capBnd.toString(16), 'bounding capabilities').toBe(want.boundingCapabilities.toString(16));
  expect(view.noNewPrivs).toBe(want.noNewPrivs);
  expect(view.rootReadOnly).toBe(want.readOnlyRoot);
  expect(view.netns === HOST_NETNS).toBe(want.hostNetwork);
  expect(view.pidns === HOST_PIDNS).toBe(want.hostPID);
  if (pod.netns) expect(view.netns).toBe(pod.netns);
  if (pod.pidns) expect(view.pidns).toBe(pod.pidns);
  expect(view.memoryLimitBytes).toBe(want.memoryLimitBytes);
  for (const m of want.hostMounts) {
    expect(view.mounts.has(m.mountPath), `${m.mountPath} mounted`).toBe(true);
    expect(view.mounts.get(m.mountPath)!.split(',').includes('ro')).toBe(m.readOnly);
  }
}

/** One line per pod spec in the CI log: what the container got and what the exporter saw. */
function report(label: string, pid: number, saw: string): void {
  const v = processView(pid);
  const mib = v.memoryLimitBytes === undefined ? 'none' : `${v.memoryLimitBytes / 2 ** 20}Mi`;
  console.info(`${label}: uid ${v.uid} gid ${v.gid}, CapEff ${v.capEff.toString(16)}, CapBnd ${v.capBnd.toString(16)}, ` +
    `${v.netns === HOST_NETNS ? 'host' : 'own'} network, ${v.pidns === HOST_PIDNS ? 'host' : 'own'} pids, root ${v.rootReadOnly ? 'ro' : 'rw'}, ` +
    `memory limit ${mib}${[...v.mounts.keys()].includes('/host/proc') ? ', /host/proc ro' : ''}; saw ${saw}`);
}

describe.runIf(setup !== undefined && tools !== undefined)('pod specs of the chart and the overlays, run', () => {
  const names: string[] = [];
  let host: Held;
  let ns: Netns;
  let inPod: Held;
  let podNetnsInode = '';

  beforeAll(async () => {
    // On the host: a process holding a listener, 3 open pairs and 2 CLOSE_WAIT sockets; in a
    // network namespace of ours, as a pod would be: a listener, 2 open pairs and 1 CLOSE_WAIT.
    host = await holdSockets(['tcpci-holder', '3', '2']);
    ns = new Netns('tcpstate-podspec');
    inPod = await holdSockets(['tcpci-podapp', '2', '1'], ns);
    podNetnsInode = /net:\[(\d+)\]/.exec(readlinkSync(`/proc/${inPod.pid}/ns/net`))![1]!;
  });

  afterAll(() => {
    removeContainers(setup!, names);
    host?.child.kill('SIGKILL');
    ns?.destroy();
  });

  const daemonSets: Array<[string, () => KubeObject[]]> = [
    ['chart, values.yaml', () => helmTemplate(tools!)],
    ['chart, values-node-only.yaml', () => helmTemplate(tools!, ['values-node-only.yaml'])],
    ['chart, values-node-and-pods.yaml', () => helmTemplate(tools!, ['values-node-and-pods.yaml'])],
    ['kustomize daemonset', () => kustomize(tools!, 'daemonset')],
    ['kustomize node-and-pods', () => kustomize(tools!, 'node-and-pods')],
  ];

  it.each(daemonSets)('%s: the DaemonSet runs as specified and sees the node', async (label, render) => {
    const ds = render().find((o) => o.kind === 'DaemonSet')!;
    const pod = podSpecOf(ds);
    const container = exporterOf(ds);
    const name = `tcpstate-${label.replace(/[^a-z0-9]+/g, '-')}`;
    // On a shared host its port would collide: a free loopback port, and the holder's port pinned.
    const port = await freePort();
    const plan = planRun(pod, container, {
      name,
      image: setup!.image,
      imageUser: IMAGE_USER,
      podNetwork: 'none',
      args: (a) => [...a.map((x) => (x.startsWith('--web.listen-address=') ? `--web.listen-address=127.0.0.1:${port}` : x)), `--collector.ports.pin=${host.port}`],
    });
    names.push(name);
    podman(setup!, plan.args);
    const pid = containerState(setup!, name).pid;
    checkProcess(pid, plan);

    const pods = container.args!.includes('--collector.netns');
    const body = await eventually(async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const ready = /^tcpstate_collector_success\{collector="sockets"\} 1$/m.test(text) && (!pods || /^tcpstate_collector_success\{collector="netns"\} 1$/m.test(text));
      return ready ? text : undefined;
    }, 60_000, `${label}: a first collection (log: ${containerLogs(setup!, name)})`);
    for (const probe of plan.probes) expect((await fetch(`http://127.0.0.1:${port}${probe.path}`)).status, `${probe.kind} ${probe.path}`).toBe(200);

    // The node's sockets: the host holder's, by its port.
    const server = (state: string) => metric(body, 'tcpstate_port_sockets', `role="server",port="${host.port}",state="${state}"`);
    expect({ listen: server('listen'), established: server('established'), close_wait: server('close_wait') }).toEqual({ listen: 1, established: 3, close_wait: 2 });
    if (pods) {
      // The node's processes, named; every pod's namespace, counted.
      expect(metric(body, 'tcpstate_process_sockets', 'process="tcpci-holder",pid="",state="close_wait"')).toBe(2);
      // With CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, only what even root may not read (this sandbox's init).
      expect(body).toMatch(new RegExp(`^tcpstate_process_scan_unreadable_processes ${processesWithRefusedLinks()}$`, 'm'));
      const inNs = (state: string) => metric(body, 'tcpstate_netns_sockets', `netns="${podNetnsInode}",pod_uid="",container_id="",state="${state}"`);
      expect({ listen: inNs('listen'), established: inNs('established'), close_wait: inNs('close_wait') }).toEqual({ listen: 1, established: 4, close_wait: 1 });
    } else {
      expect(body).not.toMatch(/^tcpstate_process_sockets\{/m);
      expect(body).not.toMatch(/^tcpstate_netns_sockets\{/m);
    }
    const namespaces = body.match(/^tcpstate_netns_namespaces\{outcome="collected"\} (\d+)$/m)?.[1];
    report(label, pid, `the node's holder port (listen 1, established 3, close_wait 2)` +
      (pods ? `, its process by name, ${namespaces} network namespaces (ours: listen 1, established 4, close_wait 1)` : ', no processes or namespaces'));
    podman(setup!, ['stop', '--time', '10', name]);
    expect(containerState(setup!, name).exitCode, 'exit code after SIGTERM (137: killed after 10 s)').toBe(0);
  });

  it('kustomize sidecar: the exporter in the app\'s network and pid namespaces sees that pod only', async () => {
    const deployment = kustomize(tools!, 'sidecar').find((o) => o.kind === 'Deployment')!;
    const pod = podSpecOf(deployment);
    const [appSpec, exporterSpec] = [pod.containers.find((c) => c.name === 'app')!, exporterOf(deployment)];
    const appPort = appSpec.ports![0]!.containerPort;
    // The application: the spec's image cannot be pulled, so a Node.js server stands in for it,
    // on the spec's port, as the uid the exporter is given (the example's image runs as 101),
    // holding 3 open connections to itself and 2 whose clients closed (CLOSE_WAIT).
    const app = `
      const net = require('node:net');
      const held = [];
      const server = net.createServer({ allowHalfOpen: true }, (s) => held.push(s));
      server.listen(${appPort}, async () => {
        for (let i = 0; i < 5; i++) await new Promise((r) => { const c = net.connect(${appPort}, '127.0.0.1', () => { if (i >= 3) c.end(); else held.push(c); r(); }); });
        console.log('ready');
      });`;
    names.push('tcpstate-sidecar-app', 'tcpstate-sidecar-exporter');
    const appPlan = planRun(pod, { ...appSpec, securityContext: { runAsUser: exporterSpec.securityContext!.runAsUser!, runAsGroup: exporterSpec.securityContext!.runAsGroup!, capabilities: { drop: ['ALL'] } } }, {
      name: 'tcpstate-sidecar-app',
      image: setup!.appImage,
      imageUser: { uid: 1000, gid: 1000 },
      podNetwork: 'none',
      podPid: 'private',
      command: ['bash', '-c', `exec -a orders-api node -e "$0"`, app],
    });
    // The pod's first container makes the pod's namespaces (as the kubelet's pause container does).
    podman(setup!, appPlan.args);
    const appPid = containerState(setup!, 'tcpstate-sidecar-app').pid;
    await eventually(async () => (containerLogs(setup!, 'tcpstate-sidecar-app').includes('ready') ? true : undefined), 20_000, 'the app');

    const plan = planRun(pod, exporterSpec, {
      name: 'tcpstate-sidecar-exporter',
      image: setup!.image,
      imageUser: IMAGE_USER,
      podNetwork: 'container:tcpstate-sidecar-app',
      podPid: 'container:tcpstate-sidecar-app',
    });
    podman(setup!, plan.args);
    const pid = containerState(setup!, 'tcpstate-sidecar-exporter').pid;
    const appView = processView(appPid);
    checkProcess(pid, plan, { netns: appView.netns, pidns: appView.pidns });
    expect(appView.netns).not.toBe(HOST_NETNS);

    const listen = /--web\.listen-address=:(\d+)/.exec(exporterSpec.args!.join(' '))![1]!;
    const body = await eventually(async () => {
      const { status, body: text } = fetchInNetns(appPid, `http://127.0.0.1:${listen}/metrics`);
      return status === 200 && /^tcpstate_process_sockets\{/m.test(text) ? text : undefined;
    }, 60_000, `the sidecar's first collection (log: ${containerLogs(setup!, 'tcpstate-sidecar-exporter')})`);
    for (const probe of plan.probes) expect(fetchInNetns(appPid, `http://127.0.0.1:${probe.port}${probe.path}`).status, `${probe.kind} ${probe.path}`).toBe(200);

    // The pod's sockets: the app's port as server and as client, and the exporter's own listener.
    const at = (role: string, port: number | string, state: string) => metric(body, 'tcpstate_port_sockets', `role="${role}",port="${port}",state="${state}"`);
    expect({ listen: at('server', appPort, 'listen'), established: at('server', appPort, 'established'), close_wait: at('server', appPort, 'close_wait') }).toEqual({ listen: 1, established: 3, close_wait: 2 });
    expect({ established: at('client', appPort, 'established'), fin_wait2: at('client', appPort, 'fin_wait2') }).toEqual({ established: 3, fin_wait2: 2 });
    expect(at('server', listen, 'listen')).toBe(1);
    // Nothing of the node's: not the holder's port, and exactly the listeners of this pod.
    expect(body).not.toMatch(new RegExp(`port="${host.port}"`));
    const listeners = Number(/^tcpstate_sockets\{family="ipv4",state="listen"\} (\d+)$/m.exec(body)![1]) + Number(/^tcpstate_sockets\{family="ipv6",state="listen"\} (\d+)$/m.exec(body)![1]);
    expect(listeners).toBe(2);
    expect(inNetns(appPid, ['ss', '-Htln']).trim().split('\n')).toHaveLength(2);
    // The pod's processes (shareProcessNamespace, same uid): the app by its argv[0], not "MainThread".
    expect(metric(body, 'tcpstate_process_sockets', 'process="orders-api",pid="",state="close_wait"')).toBe(2);
    expect(readFileSync(`/proc/${appPid}/comm`, 'utf8')).toMatch(/^(MainThread|orders-api)\n$/);
    report('kustomize sidecar', pid, `the app's port ${appPort} (server listen 1, established 3, close_wait 2; client established 3, fin_wait2 2), its own listener, 2 listeners in all, nothing of the node's; the app as process "orders-api"`);
    podman(setup!, ['stop', '--time', '10', 'tcpstate-sidecar-exporter']);
    expect(containerState(setup!, 'tcpstate-sidecar-exporter').exitCode).toBe(0);
  });
});
