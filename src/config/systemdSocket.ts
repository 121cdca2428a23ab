/** sd_listen_fds(3): the first socket systemd passes is file descriptor 3, the others follow. */
export const SD_LISTEN_FDS_START = 3;

export class SocketActivationError extends Error {
  override name = 'SocketActivationError';
}

/**
 * The listening sockets systemd passed to this process (socket activation), as sd_listen_fds(3)
 * finds them: LISTEN_PID must be this process (the variables may have been inherited from a
 * parent that was activated) and LISTEN_FDS says how many descriptors follow fd 3. The variables
 * are removed from `env` afterwards, as sd_listen_fds(1) does, so nothing started later takes
 * them for its own. Throws SocketActivationError when there is none.
 */
export function systemdListenFds(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): number[] {
  const { LISTEN_PID: listenPid, LISTEN_FDS: listenFds } = env;
  delete env['LISTEN_PID'];
  delete env['LISTEN_FDS'];
  delete env['LISTEN_FDNAMES'];
  if (listenPid === undefined || listenFds === undefined) {
    throw new SocketActivationError('no socket activation file descriptors found (LISTEN_PID and LISTEN_FDS are not set; start it from a .socket unit)');
  }
  if (!/^\d+$/.test(listenPid) || Number(listenPid) !== pid) {
    throw new SocketActivationError(`no socket activation file descriptors found (LISTEN_PID=${listenPid} is not this process, ${pid})`);
  }
  const count = /^\d+$/.test(listenFds) ? Number(listenFds) : 0;
  if (count < 1) throw new SocketActivationError(`no socket activation file descriptors found (LISTEN_FDS=${listenFds})`);
  return Array.from({ length: count }, (_, i) => SD_LISTEN_FDS_START + i);
}
