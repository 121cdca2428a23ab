/** Metrics whose values change from run to run: their values are replaced by 0 in golden files. */
const VOLATILE = /^(tcpstate_collector_duration_seconds|tcpstate_collection_duration_seconds|tcpstate_snapshot_timestamp_seconds|tcpstate_snapshot_age_seconds|tcpstate_process_scan_duration_seconds|tcpstate_process_scan_timestamp_seconds|tcpstate_build_info)\b/;

/**
 * Makes an exposition comparable across runs: drops prom-client's process_* and nodejs_* families
 * and zeroes the values of timing metrics (their names and labels stay, so they are still checked).
 */
export function normalizeExposition(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const name = line.startsWith('#') ? (line.split(' ')[2] ?? '') : line;
    if (/^(process_|nodejs_)/.test(name)) continue;
    if (!line.startsWith('#') && VOLATILE.test(line)) {
      out.push(line.replace(/ [^ ]+$/, ' 0').replace(/nodejs_version="[^"]*"/, 'nodejs_version="X"').replace(/version="[^"]*",/, 'version="X",'));
      continue;
    }
    out.push(line);
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').replace(/\n*$/, '\n');
}

/** Sample lines as name{labels} → value. */
export function samplesOf(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
