import type { Config } from '../../config/index.ts';
import type { NoBidReasonName, ProfileSegments, Rng } from '../../core/index.ts';
import { type BidRequest, type BidResponse, parseBidRequest } from '../../openrtb/index.ts';
import type { OutbidEvent } from '../../reporting/index.ts';
import { BidderErrors } from '../errors.ts';
import { frequencyUserKey } from '../frequency/frequency-gate.ts';
import type { NoticeSigner } from '../notices/notice-signer.ts';
import type { ScoringFeatures } from '../scoring/score.ts';
import { type UserFeatures, userFeatures } from '../scoring/user-features.ts';
import type { CompiledSnapshot } from '../targeting/compile-snapshot.ts';
import { buildBidResponse, type GateTicket } from './build-response.ts';
import { type DecideGate, decide } from './decide.ts';

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
  | 'profileSalt'
  | 'profileTimeoutMs'
  | 'bidExpirySec'
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
      /** One per bid, in order: what the budget, pacing and frequency gates check before it goes out. */
      readonly tickets: GateTicket[];
      /** The key the user's frequency caps count under, when the request identifies a user. */
      readonly userKey: string | undefined;
    };

/** A parsed request with what scoring needs of the user (consent decided, profile keys hashed). */
export interface ParsedBid {
  readonly kind: 'parsed';
  readonly req: BidRequest;
  readonly user: UserFeatures;
}

/** Invalid input, as a 400 reports it. */
export interface InvalidBid {
  readonly kind: 'invalid';
  readonly code: string;
  readonly message: string;
}

/**
 * Parses a body and extracts the user features. `withProfileKeys` hashes the keys to look up in
 * the profile store (skipped, with their HMACs, when there is no store to ask).
 */
export function parseBid(
  body: Uint8Array,
  config: EvaluateConfig,
  withProfileKeys: boolean,
): ParsedBid | InvalidBid {
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
  const user = userFeatures(parsed.request, {
    profileSalt: config.profileSalt,
    withoutProfileKeys: !withProfileKeys,
  });
  return { kind: 'parsed', req: parsed.request, user };
}

/**
 * Deadline → decide → build the response for a parsed request, scoring on the request's segments
 * plus `profile` (the user's stored segments, when looked up). Pure but for the env's clock reads,
 * with no I/O, so it runs unchanged in the main thread or a scoring worker (bidder/workers/).
 */
export function finishBid(
  parsed: ParsedBid,
  exchange: string,
  env: EvaluateEnv,
  profile?: ProfileSegments,
  gate?: DecideGate,
): Evaluation {
  const { config } = env;
  const { req, user } = parsed;
  const snap = env.snapshot;
  if (!snap) return { kind: 'nobid', reason: 'NOT_READY', requestId: req.id };
  const tmaxMs = req.tmax !== undefined && req.tmax > 0 ? req.tmax : config.defaultTmaxMs;
  const budgetMs = tmaxMs - (config.exchanges[exchange]?.networkAllowanceMs ?? config.networkAllowanceMs);
  if (env.isLate(budgetMs)) return { kind: 'nobid', reason: 'DEADLINE', requestId: req.id };

  const features: ScoringFeatures = {
    segments: profile && profile.length > 0 ? [...user.segments, ...profile] : user.segments,
    deviceType: user.deviceType,
    inventoryType: user.inventoryType,
  };
  const decision = decide(snap, req, env.nowMs, env.rng, config, features, gate);
  if (decision.kind === 'nobid') return { kind: 'nobid', reason: decision.reason, requestId: req.id };
  const { response, events, tickets } = buildBidResponse(req, decision.bids, decision.currency, {
    signer: env.signer,
    publicUrl: config.publicUrl,
    seatId: config.seatId,
    nextId: env.nextId,
    nowMs: env.nowMs,
    currencyRates: config.currencyRates,
    exchange,
    bidExpirySec: config.bidExpirySec,
    userKey: frequencyUserKey(user.profileKeys),
  });
  return {
    kind: 'bid',
    requestId: req.id,
    response,
    events,
    mtypes: decision.bids.map((b) => b.fit.mtype),
    budgetMs,
    tickets,
    userKey: frequencyUserKey(user.profileKeys),
  };
}

/** Parse and finish with no profile lookup: request segments and context only. */
export function evaluateBid(body: Uint8Array, exchange: string, env: EvaluateEnv): Evaluation {
  const parsed = parseBid(body, env.config, false);
  return parsed.kind === 'invalid' ? parsed : finishBid(parsed, exchange, env);
}
