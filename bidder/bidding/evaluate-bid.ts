import type { Config } from '../../config/index.ts';
import type { NoBidReasonName, Rng } from '../../core/index.ts';
import { type BidResponse, parseBidRequest } from '../../openrtb/index.ts';
import type { OutbidEvent } from '../../reporting/index.ts';
import { BidderErrors } from '../errors.ts';
import type { NoticeSigner } from '../notices/notice-signer.ts';
import type { CompiledSnapshot } from '../targeting/compile-snapshot.ts';
import { buildBidResponse } from './build-response.ts';
import { decide } from './decide.ts';

/** The settings `evaluateBid` reads. */
export type EvaluateConfig = Pick<
  Config,
  | 'maxJsonDepth'
  | 'defaultTmaxMs'
  | 'networkAllowanceMs'
  | 'exchanges'
  | 'seatId'
  | 'accountCurrency'
  | 'currencyRates'
  | 'publicUrl'
>;

/** Everything one evaluation needs besides the body. */
export interface EvaluateEnv {
  readonly config: EvaluateConfig;
  readonly snapshot: CompiledSnapshot | undefined;
  readonly signer: NoticeSigner;
  readonly nextId: () => string;
  readonly rng: Rng;
  /** Wall-clock now, epoch ms. */
  readonly nowMs: number;
  /** True when more than `budgetMs` has passed since the request arrived. */
  readonly isLate: (budgetMs: number) => boolean;
}

/** What a bid request comes to. `budgetMs` is `tmax` minus the network allowance, for the caller's final deadline check. */
export type Evaluation =
  | { readonly kind: 'invalid'; readonly code: string; readonly message: string }
  | { readonly kind: 'nobid'; readonly reason: NoBidReasonName; readonly requestId: string }
  | {
      readonly kind: 'bid';
      readonly requestId: string;
      readonly response: BidResponse;
      readonly events: OutbidEvent[];
      readonly mtypes: number[];
      readonly budgetMs: number;
    };

/**
 * Parse → deadline → decide → build the response. Pure but for the env's clock reads, with no I/O,
 * so it runs unchanged in the main thread or a scoring worker (bidder/workers/).
 */
export function evaluateBid(body: Uint8Array, exchange: string, env: EvaluateEnv): Evaluation {
  const { config } = env;
  const parsed = parseBidRequest(body, config.maxJsonDepth);
  if (!parsed.ok) {
    const def =
      parsed.code === 'INVALID_JSON'
        ? BidderErrors.BID_INVALID_JSON
        : parsed.code === 'TOO_DEEP'
          ? BidderErrors.BID_TOO_DEEP
          : BidderErrors.BID_INVALID_REQUEST;
    return { kind: 'invalid', code: def.code, message: parsed.message };
  }
  const req = parsed.request;
  const snap = env.snapshot;
  if (!snap) return { kind: 'nobid', reason: 'NOT_READY', requestId: req.id };
  const tmaxMs = req.tmax !== undefined && req.tmax > 0 ? req.tmax : config.defaultTmaxMs;
  const budgetMs = tmaxMs - (config.exchanges[exchange]?.networkAllowanceMs ?? config.networkAllowanceMs);
  if (env.isLate(budgetMs)) return { kind: 'nobid', reason: 'DEADLINE', requestId: req.id };

  const decision = decide(snap, req, env.nowMs, env.rng, config);
  if (decision.kind === 'nobid') return { kind: 'nobid', reason: decision.reason, requestId: req.id };
  const { response, events } = buildBidResponse(req, decision.bids, decision.currency, {
    signer: env.signer,
    publicUrl: config.publicUrl,
    seatId: config.seatId,
    nextId: env.nextId,
    nowMs: env.nowMs,
    currencyRates: config.currencyRates,
    exchange,
  });
  return {
    kind: 'bid',
    requestId: req.id,
    response,
    events,
    mtypes: decision.bids.map((b) => b.fit.mtype),
    budgetMs,
  };
}
