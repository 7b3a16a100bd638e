import { type ErrorDef, errorFrom, type OutbidError } from '../../core/index.ts';

/** The backtest's error catalog (CLI: printed as `outbid backtest: CODE: message`, exit code 2). */
export const BacktestErrors = {
  BT_BAD_ARGS: {
    code: 'BT_BAD_ARGS',
    statusCode: 400,
    description: 'A missing, unknown or invalid `outbid backtest` option',
  },
  BT_BAD_LOG: {
    code: 'BT_BAD_LOG',
    statusCode: 400,
    description:
      'A log line that is not `click market_price pctr` (0/1, price ≥ 0, 0 ≤ pctr ≤ 1), or an empty log',
  },
  BT_TRAIN_REQUIRED: {
    code: 'BT_TRAIN_REQUIRED',
    statusCode: 400,
    description:
      'The baseline learns from a training log (`--train`, with clicks for mcpc) or needs its bid given',
  },
} as const satisfies Record<string, ErrorDef>;

/** Throws a backtest error. */
export function backtestError(def: ErrorDef, message: string, cause?: unknown): OutbidError {
  return errorFrom(def, message, cause);
}
