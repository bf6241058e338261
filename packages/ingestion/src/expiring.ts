/**
 * A set whose members leave at a stated time. Discovery meets a new market every window and every
 * asset, forever: anything keyed by market (books seen, subscriptions, live books) must leave once
 * its window is over, or a long-running process grows with every window it has ever seen.
 */
export class ExpiringSet<K> {
  private readonly until = new Map<K, number>();

  /** Adds `key` (or extends it) until `untilMs`. */
  add(key: K, untilMs: number): void {
    this.until.set(key, Math.max(untilMs, this.until.get(key) ?? -Infinity));
  }

  has(key: K): boolean {
    return this.until.has(key);
  }

  get size(): number {
    return this.until.size;
  }

  /** Removes and returns every member whose time is up at `nowMs`. */
  prune(nowMs: number): K[] {
    const gone: K[] = [];
    for (const [k, t] of this.until) {
      if (t <= nowMs) {
        this.until.delete(k);
        gone.push(k);
      }
    }
    return gone;
  }
}
