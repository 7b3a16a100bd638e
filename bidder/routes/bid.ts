import { gunzip, inflate } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.ts';
import {
  type Clock,
  NoBidReason,
  type NoBidReasonName,
  type ProfileSegments,
  type ProfileStore,
  type Rng,
} from '../../core/index.ts';
import { BidResponseSchema } from '../../openrtb/index.ts';
import type { EventSink } from '../../reporting/index.ts';
import type { DecideGate } from '../bidding/decide.ts';
import { finishBid, parseBid } from '../bidding/evaluate-bid.ts';
import type { CampaignIndex } from '../campaign-index.ts';
import { BidderErrors, ErrorBodySchema } from '../errors.ts';
import { frequencyUserKey } from '../frequency/frequency-gate.ts';
import { gateJson, gateResponse } from '../gates/apply-admissions.ts';
import type { BidGates } from '../gates/bid-gates.ts';
import type { BidderMetrics } from '../metrics.ts';
import type { NoticeSigner } from '../notices/notice-signer.ts';
import { type LookupResult, lookupProfile } from '../scoring/lookup-profile.ts';
import { matchLineItems } from '../targeting/match-line-items.ts';
import { requestContext } from '../targeting/request-context.ts';
import type { BidWorkerPool } from '../workers/bid-worker-pool.ts';

/** The `{id, nbr}` no-bid body some exchanges want instead of a 204. */
function nbrBody(requestId: string, reason: NoBidReasonName): string {
  return JSON.stringify({ id: requestId, nbr: NoBidReason[reason].nbr });
}

/** What the bid route needs. */
export interface BidRouteOptions {
  config: Config;
  index: CampaignIndex;
  sink: EventSink;
  metrics: BidderMetrics;
  signer: NoticeSigner;
  clock: Clock;
  rng: Rng;
  nextId: () => string;
  /** Where user profiles are looked up (main-thread evaluation; workers use Redis themselves). */
  profiles: ProfileStore | undefined;
  /** Scoring workers; undefined evaluates in the main thread. */
  pool: () => BidWorkerPool | undefined;
  /** Budget, pacing and frequency gates every bid passes before it is sent. */
  gates: BidGates;
  /** When the request arrived (clock.monotonic), recorded by the app's onRequest hook. */
  receivedAt: (req: FastifyRequest) => number;
}

type DecodeError = Error & { statusCode: number; code: string };

function decodeError(def: { code: string; statusCode: number }, message: string): DecodeError {
  return Object.assign(new Error(message), { statusCode: def.statusCode, code: def.code });
}

/**
 * `POST /openrtb2/bid`. The body is taken as raw bytes (gzip/deflate decoded here, with the
 * decompressed size capped at BODY_LIMIT_BYTES) and parsed by `parseBidRequest`, which is what
 * a scoring worker will run unchanged. Answers a BidResponse, a no-bid (204, or 200 `{id, nbr}`
 * for exchanges configured with `noBidResponse: "nbr"`), or 400 for malformed input; never a 5xx.
 */
export async function bidRoutes(app: FastifyInstance, o: BidRouteOptions): Promise<void> {
  const { config } = o;
  const limit = config.bodyLimitBytes;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (req, body, done) => {
    const buf = body as Buffer;
    const enc = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
    if (enc === 'identity' || enc === '') return done(null, buf);
    const codec = enc === 'gzip' || enc === 'x-gzip' ? gunzip : enc === 'deflate' ? inflate : undefined;
    if (!codec)
      return done(
        decodeError(BidderErrors.BID_BAD_ENCODING, `unsupported Content-Encoding: ${enc}`),
        undefined,
      );
    codec(buf, { maxOutputLength: limit }, (err, out) => {
      if (!err) return done(null, out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return done(
          decodeError(BidderErrors.BID_BODY_TOO_LARGE, `decompressed body exceeds ${limit} bytes`),
          undefined,
        );
      }
      return done(decodeError(BidderErrors.BID_BAD_ENCODING, `body does not decode as ${enc}`), undefined);
    });
  });

  /**
   * Evaluates in the main thread: looks the user up in the profile store first when there is one,
   * then checks the matched line items' frequency caps, and decides with the gates' screen so a
   * throttled, capped or unbudgeted line item leaves the imp to the next best.
   */
  async function inThread(body: Buffer, exchange: string, t0: number) {
    const withKeys = o.profiles !== undefined || o.index.current?.frequencyCapped === true;
    const parsed = parseBid(body, config, withKeys);
    if (parsed.kind === 'invalid') return parsed;
    let profile: ProfileSegments | undefined;
    let lookup: LookupResult | undefined;
    if (o.profiles && parsed.user.profileKeys.length > 0) {
      ({ profile, result: lookup } = await lookupProfile(
        o.profiles,
        parsed.user.profileKeys,
        config.profileTimeoutMs,
      ));
    }
    // One snapshot for matching and deciding, whatever swaps while the caps are checked.
    const snapshot = o.index.current;
    let gate: DecideGate | undefined;
    if (snapshot !== undefined && snapshot.lineItems.length > 0) {
      const matched = matchLineItems(snapshot, requestContext(parsed.req), o.clock.now());
      gate = await o.gates.prepare(matched, frequencyUserKey(parsed.user.profileKeys));
    }
    const r = finishBid(
      parsed,
      exchange,
      {
        config,
        snapshot,
        signer: o.signer,
        nextId: o.nextId,
        rng: o.rng,
        nowMs: o.clock.now(),
        isLate: (budgetMs) => o.clock.monotonic() - t0 >= budgetMs,
      },
      profile,
      gate,
    );
    return { ...r, profile: lookup, screened: gate !== undefined };
  }

  const nobidPeriod = config.nobidSampleRate > 0 ? Math.max(1, Math.round(1 / config.nobidSampleRate)) : 0;
  let nobids = 0;

  app.post(
    '/openrtb2/bid',
    // The 200 schema compiles a fast-json-stringify serializer for bids; no-bid `{id, nbr}` bodies are sent pre-serialized.
    { schema: { response: { 200: BidResponseSchema, 204: {}, 400: ErrorBodySchema } } },
    async (request, reply) => {
      const t0 = o.receivedAt(request);
      const seconds = () => (o.clock.monotonic() - t0) / 1000;
      const exchange = (request.query as { exchange?: unknown }).exchange;
      const exchangeName = typeof exchange === 'string' && exchange !== '' ? exchange : 'default';
      const noBid = (reason: NoBidReasonName, requestId: string) => {
        o.metrics.request('nobid', reason, seconds());
        // Sampled (every 1/rate-th no-bid, no RNG draw so the bid path's draws stay as they were):
        // a no-bid is the common answer, and its reason mix is what analysts need.
        if (nobidPeriod > 0 && ++nobids % nobidPeriod === 0) {
          o.sink.emit({
            type: 'nobid',
            ts: o.clock.now(),
            eventId: `nobid:${o.nextId()}`,
            requestId,
            reason,
            exchange: exchangeName,
          });
        }
        if (config.exchanges[exchangeName]?.noBidResponse === 'nbr') {
          return reply.code(200).type('application/json').send(nbrBody(requestId, reason));
        }
        return reply.code(204).send();
      };
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const pool = o.pool();
      const result = pool
        ? await pool.evaluate(body, exchangeName, t0)
        : await inThread(body, exchangeName, t0);
      if ('profile' in result && result.profile !== undefined)
        o.metrics.profileLookups.labels(result.profile).inc();
      if (result.kind === 'failed') {
        request.log.error({ err: result.error }, 'scoring worker failed; answering no-bid');
        o.metrics.workerFailures.inc();
        return noBid('WORKER_FAILED', '');
      }
      if (result.kind === 'invalid') {
        o.metrics.request('invalid', result.code, seconds());
        return reply.code(400).send({ error: { code: result.code, message: result.message } });
      }
      if (result.kind === 'nobid') return noBid(result.reason, result.requestId);
      // Past the deadline the exchange has moved on: a late bid can only be lost or mis-billed.
      const late = () => o.clock.monotonic() - t0 >= result.budgetMs;
      if (late()) return noBid('DEADLINE', result.requestId);
      const admissions = await o.gates.admit(
        result.tickets,
        result.userKey,
        'screened' in result && result.screened,
      );
      if (late()) {
        o.gates.abandon(admissions);
        return noBid('DEADLINE', result.requestId);
      }
      // Workers hand back the response already serialised (same schema, same serializer).
      const gated =
        'json' in result
          ? gateJson(result.json, result.events, result.mtypes, admissions)
          : gateResponse(result.response, result.events, result.mtypes, admissions);
      if (gated.kind === 'nobid') return noBid(gated.reason, result.requestId);
      for (const e of gated.events) o.sink.emit(e);
      for (const m of gated.mtypes) o.metrics.bids.labels(String(m)).inc();
      o.metrics.request('bid', '', seconds());
      if (typeof gated.response === 'string')
        return reply.code(200).type('application/json; charset=utf-8').send(gated.response);
      return reply.code(200).send(gated.response);
    },
  );
}
