export interface ListenAddress {
  /** Empty means every interface. */
  host: string;
  port: number;
}

/** Accepts "host:port", ":port" and "[v6addr]:port", like Prometheus' --web.listen-address. */
export function parseListenAddress(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535) return null;
  return { host: m[1] ?? m[2] ?? '', port };
}
