/** Stable codes of state-store errors; callers and tests switch on these, never on messages. */
export const STORE_ERRORS = {
  /** The snapshot file exists but cannot be read (permissions, a directory, I/O error). */
  STORE_SNAPSHOT_UNREADABLE: 'STORE_SNAPSHOT_UNREADABLE',
  /** The snapshot file is not JSON, has an unknown format version or holds invalid entities. */
  STORE_SNAPSHOT_INVALID: 'STORE_SNAPSHOT_INVALID',
  /** Writing a snapshot failed; the data stays in memory and the next write retries. */
  STORE_SNAPSHOT_WRITE_FAILED: 'STORE_SNAPSHOT_WRITE_FAILED',
  /** Redis could not be reached within the connect timeout. */
  STORE_UNREACHABLE: 'STORE_UNREACHABLE',
  /** A call failed because Redis is down or answered with an error; retrying later may succeed. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** A Redis connection reported an error after start (it reconnects by itself). */
  STORE_CONNECTION_ERROR: 'STORE_CONNECTION_ERROR',
  /** A stored value is not JSON or not a valid entity; it was skipped. */
  STORE_BAD_ROW: 'STORE_BAD_ROW',
  /** A subscriber threw; the others were still called. */
  STORE_LISTENER_FAILED: 'STORE_LISTENER_FAILED',
  /** The store was used after close(). */
  STORE_CLOSED: 'STORE_CLOSED',
} as const;

/** A state-store error code. */
export type StoreErrorCode = keyof typeof STORE_ERRORS;

/** An error raised or reported by a state store, with a stable `code` and the underlying `cause`. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

/** Reports problems that must not fail the call that met them (a bad row, a throwing listener). */
export type StoreErrorHandler = (err: StoreError) => void;

/** Where store problems go when the caller gave no `onError`: stderr, so they are never silent. */
export const defaultStoreErrorHandler: StoreErrorHandler = (err) => {
  console.error(`[outbid store] ${err.code}: ${err.message}`);
};
