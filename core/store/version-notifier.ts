import { StoreError, type StoreErrorHandler } from './errors.ts';

/**
 * The subscriber list of a state store. Delivers each version at most once and in increasing
 * order, so a store may announce a write both locally and through pub/sub (Redis echoes our own
 * writes back) without listeners seeing duplicates. Delivery is asynchronous (a microtask), so a
 * listener never runs inside the write that triggered it.
 */
export class VersionNotifier {
  readonly #listeners = new Set<(version: number) => void>();
  readonly #onError: StoreErrorHandler;
  #last = 0;

  constructor(onError: StoreErrorHandler) {
    this.#onError = onError;
  }

  /** How many listeners are subscribed. */
  get size(): number {
    return this.#listeners.size;
  }

  /** The last version delivered (0 before any). */
  get lastVersion(): number {
    return this.#last;
  }

  /** Adds a listener; returns the function that removes it. */
  add(listener: (version: number) => void): () => void {
    // A wrapper, so subscribing the same function twice gives two independent subscriptions.
    const entry = (version: number) => listener(version);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /**
   * Announces `version` if it is newer than the last one delivered. `reset` delivers any version
   * that differs, for a backing store that lost its data (a Redis restarted without persistence).
   */
  notify(version: number, reset = false): void {
    if (reset ? version === this.#last : version <= this.#last) return;
    this.#last = version;
    if (this.#listeners.size === 0) return;
    const listeners = [...this.#listeners];
    queueMicrotask(() => {
      for (const listener of listeners) {
        // Unsubscribed between the write and this microtask: the caller expects silence.
        if (!this.#listeners.has(listener)) continue;
        try {
          listener(version);
        } catch (err) {
          this.#onError(
            new StoreError('STORE_LISTENER_FAILED', `a state-store subscriber threw on version ${version}`, {
              cause: err,
            }),
          );
        }
      }
    });
  }
}
