import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

/**
 * HTTP basic authentication against bcrypt hashes (--web.config.file basic_auth_users).
 * An unknown user is checked against a dummy hash of the same cost, so a wrong user name takes as
 * long as a wrong password; bcrypt's own comparison is constant-time. A verified credential is
 * remembered (by a digest of user, password and hash, at most CACHE_SIZE of them) so that a
 * Prometheus scraping every few seconds does not pay a bcrypt round each time; a changed hash
 * never matches an old entry.
 */
const CACHE_SIZE = 256;
/** bcrypt (cost 10) of a random string nobody knows. */
const DUMMY_HASH = '$2b$10$3G43LgRC0AH8F5CxLBOisu2cRqWEH.q2vLescqount.gcdieLqgGG';

export class BasicAuth {
  private users: Readonly<Record<string, string>>;
  private readonly verified = new Set<string>();

  constructor(users: Readonly<Record<string, string>>) {
    this.users = users;
  }

  get enabled(): boolean {
    return Object.keys(this.users).length > 0;
  }

  setUsers(users: Readonly<Record<string, string>>): void {
    this.users = users;
    this.verified.clear();
  }

  /** Whether an Authorization header carries a known user and the right password. */
  async verify(header: string | undefined): Promise<boolean> {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = Object.hasOwn(this.users, user) ? this.users[user]! : undefined;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash ?? ''}`).digest('base64');
    if (hash !== undefined && this.verified.has(key)) return true;
    const ok = await bcrypt.compare(password, hash ?? DUMMY_HASH);
    if (!ok || hash === undefined) return false;
    if (this.verified.size >= CACHE_SIZE) this.verified.clear();
    this.verified.add(key);
    return true;
  }
}
