import { type ErrorDef, OutbidError } from '../errors.ts';

/**
 * The budget module's error catalog (budget stores and the bidder's budget gate). Redis
 * connectivity keeps the state stores' codes (`STORE_UNREACHABLE`, `STORE_UNAVAILABLE`,
 * `STORE_CLOSED`, `STORE_CONNECTION_ERROR`), so one alert covers every Redis-backed store.
 */
export const BUDGET_ERRORS = {
  BUDGET_INVALID_ARGUMENT: {
    code: 'BUDGET_INVALID_ARGUMENT',
    statusCode: 500,
    description:
      'A budget call got a negative, fractional or unsafe amount, a malformed id or day key: a caller bug, refused before it can corrupt the ledger',
  },
  BUDGET_BAD_STATE: {
    code: 'BUDGET_BAD_STATE',
    statusCode: 500,
    description: 'A stored budget value is not in the expected format; the call failed rather than guess',
  },
  BUDGET_STORE_TIMEOUT: {
    code: 'BUDGET_STORE_TIMEOUT',
    statusCode: 503,
    description:
      'The budget store did not answer within the gate deadline; the gate fails closed once its lease expires and retries',
  },
  BUDGET_STORE_DOWN: {
    code: 'BUDGET_STORE_DOWN',
    statusCode: 503,
    description:
      'The budget gate lost the budget store (reported once per outage); settlements are queued and retried, bidding stops when leases expire',
  },
  BUDGET_STORE_RECOVERED: {
    code: 'BUDGET_STORE_RECOVERED',
    statusCode: 200,
    description: 'The budget gate reached the budget store again after an outage (reported once)',
  },
} as const satisfies Record<string, ErrorDef>;

/** A budget error code. */
export type BudgetErrorCode = keyof typeof BUDGET_ERRORS;

/** An error raised or reported by the budget module, with a stable `code` and the underlying `cause`. */
export class BudgetError extends OutbidError {
  declare readonly code: BudgetErrorCode;
  constructor(code: BudgetErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, BUDGET_ERRORS[code].statusCode, message, options);
    this.name = 'BudgetError';
  }
}
