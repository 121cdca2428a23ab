/**
 * What has been said already: a condition that holds every cycle (an unreadable sysctl, a
 * missing privilege) is logged the first time only, per key, for the life of the object.
 */
export class Once {
  private readonly said = new Set<string>();

  /** True the first time it is asked about `key` (default: the one key there is), false ever after. */
  first(key = ''): boolean {
    if (this.said.has(key)) return false;
    this.said.add(key);
    return true;
  }
}
