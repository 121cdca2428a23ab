import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogFormat, LogLevel } from '../config.js';

/**
 * logfmt, the Prometheus exporters' default: `ts=… level=info msg="…" key=value`.
 * pino writes one JSON line per record; this destination re-encodes it.
 */
export function logfmtDestination(out: { write(s: string): unknown }): DestinationStream {
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const { time, level, msg, ...rest } = record;
      const parts = [`ts=${logfmtValue(time)}`, `level=${logfmtValue(level)}`];
      if (msg !== undefined) parts.push(`msg=${logfmtValue(msg)}`);
      for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${logfmtValue(v)}`);
      out.write(`${parts.join(' ')}\n`);
    },
  };
}

function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v instanceof Object ? JSON.stringify(v) : String(v);
  return /^[^\s"=]+$/.test(s) ? s : JSON.stringify(s);
}

export function createLogger(level: LogLevel, format: LogFormat, out: { write(s: string): unknown } = process.stderr): Logger {
  const options = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return format === 'json' ? pino(options, out as DestinationStream) : pino(options, logfmtDestination(out));
}
