/**
 * Where a condition seen once per cycle (events being lost) begins and ends, so that a burst is
 * logged twice, at its start and at its end, however many cycles it lasts.
 */
export class Bursts {
  private active = false;

  /** This cycle's state: "began" on the first active cycle after an inactive one, "ended" on the first inactive one after it, else undefined. */
  next(active: boolean): 'began' | 'ended' | undefined {
    const was = this.active;
    this.active = active;
    if (active && !was) return 'began';
    if (!active && was) return 'ended';
    return undefined;
  }
}
