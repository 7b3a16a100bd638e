import type { ErrorDef } from '../core/index.ts';

/**
 * The optimizer's error catalog. The optimizer is batch work: these codes are collected per
 * campaign in a cycle's result (one bad campaign never blocks the others), not thrown to a client.
 */
export const OptimizerErrors = {
  OPT_NO_STATS: {
    code: 'OPT_NO_STATS',
    statusCode: 200,
    description: 'A campaign has no statistics in the window; its allocation falls back',
  },
  OPT_STATS_UNAVAILABLE: {
    code: 'OPT_STATS_UNAVAILABLE',
    statusCode: 503,
    description:
      'The stats reader (ClickHouse) failed; every campaign falls back to its last good allocation',
  },
  OPT_ANOMALY: {
    code: 'OPT_ANOMALY',
    statusCode: 200,
    description:
      'A campaign’s statistics look wrong (CTR or spend jump beyond the threshold, spend without impressions); its allocation falls back',
  },
  OPT_UNKNOWN_BANDIT: {
    code: 'OPT_UNKNOWN_BANDIT',
    statusCode: 400,
    description: 'A campaign names a bandit that is not in the registry',
  },
  OPT_INVALID_INPUT: {
    code: 'OPT_INVALID_INPUT',
    statusCode: 400,
    description: 'A campaign’s optimizer input is malformed (no arms, duplicate arm ids, negative budget)',
  },
  OPT_NO_ELIGIBLE_ARM: {
    code: 'OPT_NO_ELIGIBLE_ARM',
    statusCode: 200,
    description:
      'Every arm of a campaign or creative group is paused, out of budget or unable to meet its cap',
  },
  OPT_WRITE_FAILED: {
    code: 'OPT_WRITE_FAILED',
    statusCode: 503,
    description:
      'The allocation could not be written (Redis down); bidders keep serving the previous version',
  },
  OPT_INTERNAL: {
    code: 'OPT_INTERNAL',
    statusCode: 500,
    description: 'An unexpected fault while optimizing one campaign (the others still finish)',
  },
} as const satisfies Record<string, ErrorDef>;

/** A code of the optimizer's error catalog. */
export type OptimizerErrorCode = keyof typeof OptimizerErrors;
