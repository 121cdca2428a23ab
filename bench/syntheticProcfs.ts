import { mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes a procfs tree whose net/tcp and net/tcp6 hold `sockets` lines in the kernel's exact
 * format (see src/parse/procNetTcp.ts), with a realistic mix: a few listeners, mostly
 * ESTABLISHED, and TIME_WAIT, CLOSE_WAIT and FIN_WAIT2 spread over many ports.
 */
export function writeSyntheticProcfs(dir: string, sockets: number): void {
  mkdirSync(join(dir, 'net'), { recursive: true });
  const v6Share = 0.2;
  writeTable(join(dir, 'net/tcp'), Math.round(sockets * (1 - v6Share)), false);
  writeTable(join(dir, 'net/tcp6'), Math.round(sockets * v6Share), true);
}

const STATES = [0x01, 0x01, 0x01, 0x01, 0x01, 0x06, 0x06, 0x08, 0x05, 0x01];

function writeTable(path: string, count: number, v6: boolean): void {
  const fd = openSync(path, 'w');
  const hex8 = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const addr = (n: number): string => (v6 ? `0000000000000000FFFF0000${hex8(n)}` : hex8(n));
  const hex4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  let buf = v6
    ? '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
    : '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n';
  const listeners = Math.min(20, count);
  for (let i = 0; i < count; i++) {
    const listen = i < listeners;
    const st = listen ? 0x0a : STATES[i % STATES.length]!;
    const serverSide = i % 2 === 0;
    const lport = listen ? 8000 + i : serverSide ? 8000 + (i % listeners) : 32768 + (i % 28000);
    const rport = listen ? 0 : serverSide ? 32768 + (i % 28000) : 1024 + (i % 500);
    const timer = st === 0x06 ? 3 : i % 3 === 0 ? 2 : 0;
    buf += `${String(i).padStart(4)}: ${addr(0x0100007f + (i % 200))}:${hex4(lport)} ${addr(listen ? 0 : 0x0200007f + (i % 5000))}:${hex4(rport)} ${st.toString(16).toUpperCase().padStart(2, '0')} 00000000:00000000 0${timer}:00000000 00000000  1000        0 ${100000 + i} 1 0000000000000000 20 4 30 10 -1\n`;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = '';
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
}
