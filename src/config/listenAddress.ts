export interface ListenAddress {
  /** Empty means every interface. */
  host: string;
  port: number;
}

/** Where the exporter listens: a --web.listen-address, or a socket systemd passed in (--web.systemd-socket). */
export type ListenTarget = ({ kind: 'address' } & ListenAddress) | { kind: 'systemd'; fd: number };

/** Accepts "host:port", ":port" and "[v6addr]:port", like Prometheus' --web.listen-address. */
export function parseListenAddress(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: m[1] ?? m[2] ?? '', port };
}

/** The flag value back from a parsed address: ":9816", "127.0.0.1:9816", "[::1]:9816". */
export function formatListenAddress(a: ListenAddress): string {
  return `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
