/** Source of time. Domain code takes a Clock; only the composition root picks the system one. */
export interface Clock {
  /** Wall-clock time in epoch milliseconds. */
  now(): number;
  /** Monotonic milliseconds with sub-millisecond precision, for deadlines and latency; comparable across threads of one process. */
  monotonic(): number;
}

/** The real clock: Date.now, and performance.now offset by the thread's timeOrigin so a worker can compare it with the main thread's. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.timeOrigin + performance.now(),
};

/** A clock for tests and simulations: time moves only when told to. */
export class ManualClock implements Clock {
  #now: number;
  #mono = 0;
  constructor(startEpochMs: number) {
    this.#now = startEpochMs;
  }
  now(): number {
    return this.#now;
  }
  monotonic(): number {
    return this.#mono;
  }
  /** Moves both wall and monotonic time forward by `ms`. */
  advance(ms: number): void {
    this.#now += ms;
    this.#mono += ms;
  }
  /** Sets the wall-clock time (monotonic time is unchanged). */
  set(epochMs: number): void {
    this.#now = epochMs;
  }
}
