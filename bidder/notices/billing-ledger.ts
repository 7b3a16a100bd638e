/**
 * Remembers which bids were billed (or won), so a retried notice is counted once. In memory for
 * now: the budgets issue moves this to the shared store. Entries expire after `ttlMs`; expired
 * entries are swept lazily, a bounded amount per call, so no timer is needed.
 */
export class NoticeLedger {
  readonly #seen = new Map<string, number>();
  readonly #ttlMs: number;
  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  /** Records `key` at `nowMs`; returns false when it was already recorded and has not expired. */
  firstTime(key: string, nowMs: number): boolean {
    this.#sweep(nowMs);
    const at = this.#seen.get(key);
    if (at !== undefined && nowMs - at < this.#ttlMs) return false;
    this.#seen.delete(key);
    this.#seen.set(key, nowMs);
    return true;
  }

  /** Entries currently held. */
  get size(): number {
    return this.#seen.size;
  }

  #sweep(nowMs: number): void {
    // Map iterates in insertion order, which is time order here: stop at the first live entry.
    let budget = 64;
    for (const [key, at] of this.#seen) {
      if (nowMs - at < this.#ttlMs || budget-- === 0) return;
      this.#seen.delete(key);
    }
  }
}
