import type { LibraryHandle } from 'koffi';

/**
 * libc through koffi (an FFI whose npm package ships prebuilt binaries, so nothing is compiled at
 * install), opened once on first use and shared by every caller: the netlink sockets and the
 * start-up page release. Loaded lazily, so a process that needs neither (fixtures, non-Linux)
 * never loads koffi at all.
 */
export interface LoadedLibc {
  lib: LibraryHandle;
  /** errno as the last call through koffi on this thread left it. */
  errno: () => number;
}

let loaded: Promise<LoadedLibc> | undefined;

export function loadLibc(): Promise<LoadedLibc> {
  loaded ??= import('koffi').then(({ default: koffi }) => ({ lib: koffi.load('libc.so.6'), errno: () => koffi.errno() }));
  return loaded;
}
