/**
 * Bench-only piscina worker for the `clone-hop` design (bench/bidder/server.ts): it receives one
 * already parsed and validated BidRequest per task (structured clone), decides, builds the
 * BidResponse object and returns it (structured clone back) for the main thread to serialise.
 * This is the "obvious" design ARCHITECTURE.md "Process model" warns against; the app's workers
 * (bidder/workers/) take raw bytes instead and return the serialised response.
 */
import { threadId, workerData } from 'node:worker_threads';
import { buildBidResponse } from '../../bidder/bidding/build-response.ts';
import { decide } from '../../bidder/bidding/decide.ts';
import type { EvaluateConfig } from '../../bidder/bidding/evaluate-bid.ts';
import { NoticeSigner } from '../../bidder/notices/notice-signer.ts';
import { compileSnapshot } from '../../bidder/targeting/compile-snapshot.ts';
import { type CampaignData, idGenerator, seededRng, systemClock } from '../../core/index.ts';
import type { BidRequest, BidResponse } from '../../openrtb/index.ts';
import type { OutbidEvent } from '../../reporting/index.ts';

/** `workerData` of the clone-hop worker. */
export interface CloneWorkerInit {
  readonly config: EvaluateConfig;
  readonly secret: string;
  readonly seed: number;
  readonly data: CampaignData;
}

/** One request, parsed in the main thread. */
export interface CloneTask {
  readonly request: BidRequest;
  readonly exchange: string;
  readonly receivedAt: number;
}

/** A bid (response object, not serialised) or a no-bid. */
export type CloneWorkerResult =
  | { readonly kind: 'nobid'; readonly reason: string }
  | { readonly kind: 'bid'; readonly response: BidResponse; readonly events: OutbidEvent[] };

const init = workerData as CloneWorkerInit;
const snapshot = compileSnapshot(init.data, 1);
const signer = new NoticeSigner(init.secret);
const rng = seededRng(init.seed + threadId);
const nextId = idGenerator(`c${threadId.toString(36)}.`);

/** Deadline check → decide → build the response object: `evaluateBid` minus the parse. */
export default function evaluateParsed(task: CloneTask | { warmup: true }): CloneWorkerResult | 'ready' {
  if ('warmup' in task) return 'ready';
  const { config } = init;
  const req = task.request;
  const tmaxMs = req.tmax !== undefined && req.tmax > 0 ? req.tmax : config.defaultTmaxMs;
  const budgetMs =
    tmaxMs - (config.exchanges[task.exchange]?.networkAllowanceMs ?? config.networkAllowanceMs);
  if (systemClock.monotonic() - task.receivedAt >= budgetMs) return { kind: 'nobid', reason: 'DEADLINE' };
  const nowMs = systemClock.now();
  const decision = decide(snapshot, req, nowMs, rng, config);
  if (decision.kind === 'nobid') return { kind: 'nobid', reason: decision.reason };
  const { response, events } = buildBidResponse(req, decision.bids, decision.currency, {
    signer,
    publicUrl: config.publicUrl,
    seatId: config.seatId,
    nextId,
    nowMs,
    currencyRates: config.currencyRates,
    exchange: task.exchange,
    bidExpirySec: config.bidExpirySec,
  });
  return { kind: 'bid', response, events };
}
