import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

/** errno value → symbolic name from the platform's table; of two names for one value (EAGAIN, EWOULDBLOCK) the first. */
const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(constants.errno).reverse().map(([name, value]) => [value, name]));

/**
 * An errno as people read it: `EPROTONOSUPPORT: Protocol not supported` for 93 on Linux.
 *
 * `errno` is the positive value a libc call leaves in errno or the negated value a netlink
 * NLMSG_ERROR carries (both are accepted). Name and message come from libuv's table (the C
 * library's strerror wording, lower-cased there; capitalised here); an errno libuv does not list
 * gets its name from os.constants.errno alone, and an unknown one reads `errno N`.
 */
export function errnoText(errno: number): string {
  const n = Math.abs(errno);
  const known = getSystemErrorMap().get(-n);
  if (known) return `${known[0]}: ${known[1].charAt(0).toUpperCase()}${known[1].slice(1)}`;
  return NAMES.get(n) ?? `errno ${n}`;
}

/** What an error says, for a log field or a one-line message: its message, or the thrown value as text when it is no Error. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
