/**
 * No-bid reasons. A no-bid is a value, not an exception. Codes 0–10 are OpenRTB 2.6 §5.24
 * (`nbr`); Outbid's own start at 500 and map to the OpenRTB code sent to the exchange (`nbr`).
 * `rank` orders reasons by how far a request got through the pipeline: when several imps (or line
 * items) fail differently, the furthest one is the most useful to report.
 */
export const NoBidReason = {
  UNKNOWN: { code: 0, nbr: 0, rank: 0, description: 'Unknown error' },
  TECHNICAL_ERROR: { code: 1, nbr: 1, rank: 0, description: 'Technical error while evaluating the request' },
  INVALID_REQUEST: { code: 2, nbr: 2, rank: 0, description: 'Invalid request' },
  NOT_READY: {
    code: 500,
    nbr: 1,
    rank: 1,
    description: 'Campaign state not loaded yet',
  },
  NO_CAMPAIGNS: { code: 501, nbr: 0, rank: 2, description: 'No active line item is in flight' },
  SEAT_BLOCKED: {
    code: 502,
    nbr: 0,
    rank: 3,
    description: 'Our seat is excluded by `bseat` or not in `wseat`',
  },
  UNSUPPORTED_IMP: {
    code: 503,
    nbr: 0,
    rank: 4,
    description: 'The imp offers no media type Outbid bids on (banner, video, native, audio)',
  },
  NO_MATCHING_LINE_ITEM: { code: 504, nbr: 0, rank: 5, description: 'No line item targets this request' },
  PRIVATE_AUCTION_NO_DEAL: {
    code: 505,
    nbr: 0,
    rank: 6,
    description: 'Private auction (`pmp.private_auction=1`) and no line item bids on its deals',
  },
  NO_FITTING_CREATIVE: {
    code: 506,
    nbr: 0,
    rank: 7,
    description: 'Matching line items have no creative that fits the imp (format, size, MIME, duration)',
  },
  SECURE_REQUIRED: {
    code: 507,
    nbr: 0,
    rank: 8,
    description: 'The imp requires https (`imp.secure=1`) and the fitting creatives are not https-only',
  },
  BLOCKED_BY_REQUEST: {
    code: 508,
    nbr: 0,
    rank: 9,
    description: 'Every fitting creative is blocked by `bcat`, `badv`, `bapp`, `battr` or `wlang`',
  },
  CURRENCY_UNSUPPORTED: {
    code: 509,
    nbr: 0,
    rank: 10,
    description: 'No currency in `cur` (or the floor currency) is in the configured rate table',
  },
  BELOW_FLOOR: { code: 510, nbr: 0, rank: 11, description: 'Every candidate bid is below the floor' },
  WORKER_FAILED: {
    code: 512,
    nbr: 1,
    rank: 13,
    description: 'The scoring worker threw, crashed or did not answer in time; the pool replaces it',
  },
  FREQUENCY_CAPPED: {
    code: 513,
    nbr: 0,
    rank: 14,
    description: 'Every candidate line item has reached a frequency cap for this user',
  },
  FREQUENCY_UNAVAILABLE: {
    code: 514,
    nbr: 0,
    rank: 15,
    description:
      'Candidates have frequency caps but the user cannot be counted: no user id, or the frequency store is down or late (fail closed)',
  },
  PACING_THROTTLED: {
    code: 515,
    nbr: 0,
    rank: 16,
    description: "Even pacing skipped this opportunity to keep spend on the day's target curve",
  },
  BUDGET_EXHAUSTED: {
    code: 516,
    nbr: 0,
    rank: 17,
    description:
      'The budget (campaign total or daily, line-item share or advertiser cap) is spent or fully reserved',
  },
  BUDGET_UNAVAILABLE: {
    code: 517,
    nbr: 1,
    rank: 18,
    description:
      'The budget store is down or slow and the local lease cannot cover the bid, or a lease is on its way (fail closed)',
  },
  DEADLINE: {
    code: 511,
    nbr: 1,
    rank: 12,
    description: 'The answer would arrive after `tmax` minus the network allowance',
  },
} as const;

/** Name of a no-bid reason. */
export type NoBidReasonName = keyof typeof NoBidReason;

/** The more informative of two reasons (the one further down the pipeline). */
export function furtherReason(a: NoBidReasonName, b: NoBidReasonName): NoBidReasonName {
  return NoBidReason[b].rank > NoBidReason[a].rank ? b : a;
}
