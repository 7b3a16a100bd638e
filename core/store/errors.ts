import { type ErrorDef, OutbidError } from '../errors.ts';

/** The state stores' error catalog; callers and tests switch on `code`, never on messages. */
export const STORE_ERRORS = {
  STORE_SNAPSHOT_UNREADABLE: {
    code: 'STORE_SNAPSHOT_UNREADABLE',
    statusCode: 500,
    description: 'The snapshot file exists but cannot be read (permissions, a directory, I/O error)',
  },
  STORE_SNAPSHOT_INVALID: {
    code: 'STORE_SNAPSHOT_INVALID',
    statusCode: 500,
    description: 'The snapshot file is not JSON, has an unknown format version or holds invalid entities',
  },
  STORE_SNAPSHOT_WRITE_FAILED: {
    code: 'STORE_SNAPSHOT_WRITE_FAILED',
    statusCode: 500,
    description: 'Writing a snapshot failed; the data stays in memory and the next flush retries',
  },
  STORE_UNREACHABLE: {
    code: 'STORE_UNREACHABLE',
    statusCode: 503,
    description: 'Redis could not be reached within the connect timeout',
  },
  STORE_UNAVAILABLE: {
    code: 'STORE_UNAVAILABLE',
    statusCode: 503,
    description: 'A call failed because Redis is down or answered with an error; retrying later may succeed',
  },
  STORE_CONNECTION_ERROR: {
    code: 'STORE_CONNECTION_ERROR',
    statusCode: 503,
    description: 'A Redis connection reported an error after start; it reconnects by itself',
  },
  STORE_BAD_ROW: {
    code: 'STORE_BAD_ROW',
    statusCode: 500,
    description: 'A stored value is not JSON or not a valid entity; it was skipped',
  },
  STORE_LISTENER_FAILED: {
    code: 'STORE_LISTENER_FAILED',
    statusCode: 500,
    description: 'A subscriber threw; the other subscribers were still called',
  },
  STORE_CLOSED: { code: 'STORE_CLOSED', statusCode: 500, description: 'The store was used after close()' },
} as const satisfies Record<string, ErrorDef>;

/** A state-store error code. */
export type StoreErrorCode = keyof typeof STORE_ERRORS;

/** An error raised or reported by a state store, with a stable `code` and the underlying `cause`. */
export class StoreError extends OutbidError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, STORE_ERRORS[code].statusCode, message, options);
    this.name = 'StoreError';
  }
}

/** Reports problems that must not fail the call that met them (a bad row, a throwing listener). */
export type StoreErrorHandler = (err: StoreError) => void;

/** Where store problems go when the caller gave no `onError`: stderr, so they are never silent. */
export const defaultStoreErrorHandler: StoreErrorHandler = (err) => {
  console.error(`[outbid store] ${err.code}: ${err.message}`);
};
