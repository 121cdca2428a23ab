import type { CollectorStatus, Snapshot } from '../snapshot/snapshot.js';
import type { BuildInfo } from '../version.js';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** "ok", "failed", or "timeout" (the reason a collector past --collector.timeout fails with). */
function outcome(s: CollectorStatus): string {
  return s.success ? 'ok' : s.timedOut ? 'timeout' : 'failed';
}

function stuckReadsSection(snapshot: Snapshot, nowMs: number): string {
  if (snapshot.stuckReads.length === 0) return '';
  const rows = snapshot.stuckReads
    .map((r) => `<tr><td>${escapeHtml(r.path)}</td><td>${r.op}</td><td>${((nowMs - r.sinceMs) / 1000).toFixed(1)} s</td></tr>`)
    .join('');
  return `<h2>Stuck reads</h2>
<p>Still under way when the last cycle was published; each holds a thread of the I/O pool, and the file is not read again until it returns.</p>
<table><tr><th>file</th><th>operation</th><th>waiting for</th></tr>${rows}</table>
`;
}

/** One line per event-based collector that is on: what it has seen, so a person can tell it works. */
function eventCollectors(snapshot: Snapshot): string {
  const lines: string[] = [];
  const c = snapshot.data.connections;
  if (c) {
    lines.push(
      `<li>connections: ${c.connections} closed connections counted since start (${c.withoutPeer} listeners or unconnected sockets left out), ${c.lost} socket destroy events lost, receive buffer ${c.receiveBufferBytes} bytes</li>`,
    );
  }
  const e = snapshot.data.netns?.connectionEvents;
  if (e) {
    lines.push(`<li>netns: closed connections counted in ${e.read} of ${e.read + e.unread} collected network namespaces${e.refused ? ` (the others are not read: ${escapeHtml(e.refused)})` : ''}</li>`);
  }
  const t = snapshot.data.tcpinfo;
  if (t) {
    const retransmitting = [...t.serverPorts, ...t.clientPorts].reduce((n, p) => n + p.retransmitting, 0);
    lines.push(`<li>tcpinfo: ${t.sockets} ESTABLISHED sockets with an RTT sample, ${retransmitting} retransmitting</li>`);
  }
  return lines.length === 0 ? '' : `<ul>${lines.join('')}</ul>\n`;
}

/** The page at /: what this is, where the metrics are, and how the last collection went (a failed collector's reason included). */
export function renderLandingPage(build: BuildInfo, telemetryPath: string, snapshot: Snapshot | undefined, nowMs: number = Date.now()): string {
  const rows = snapshot
    ? Object.entries(snapshot.status)
        .map(([name, s]) => `<tr><td>${escapeHtml(name)}</td><td>${outcome(s)}</td><td>${(s.durationSeconds * 1000).toFixed(1)} ms</td><td>${escapeHtml(s.error ?? '')}</td></tr>`)
        .join('')
    : '<tr><td colspan="4">no collection finished yet</td></tr>';
  const taken = snapshot ? new Date(snapshot.takenAtMs).toISOString() : 'never';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tcpstate-exporter</title>
<style>body{font-family:sans-serif;max-width:52em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}</style>
</head><body>
<h1>tcpstate-exporter</h1>
<p>Prometheus exporter for the kernel's TCP socket table: states per family and port, listen queues, keepalive coverage, TCP sysctls and counters.</p>
<ul>
<li><a href="${escapeHtml(telemetryPath)}">${escapeHtml(telemetryPath)}</a> metrics</li>
<li><a href="/healthz">/healthz</a> liveness</li>
<li><a href="/readyz">/readyz</a> readiness (a recent snapshot that holds the socket table)</li>
</ul>
<h2>Last collection</h2>
<p>Taken at ${taken}</p>
<table><tr><th>collector</th><th>status</th><th>duration</th><th>error</th></tr>${rows}</table>
${snapshot ? eventCollectors(snapshot) + stuckReadsSection(snapshot, nowMs) : ''}<p>Version ${escapeHtml(build.version)}, Node.js ${escapeHtml(build.nodeVersion)}</p>
</body></html>
`;
}
