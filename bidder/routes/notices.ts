import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { Clock } from '../../core/index.ts';
import type { EventSink, NoticeEvent } from '../../reporting/index.ts';
import { BidderErrors } from '../errors.ts';
import type { BidGates } from '../gates/bid-gates.ts';
import type { BidderMetrics } from '../metrics.ts';
import type { NoticeLedger } from '../notices/billing-ledger.ts';
import type { NoticeFields, NoticeSigner } from '../notices/notice-signer.ts';
import type { AuctionOutcome } from '../strategies/strategy.ts';

/** What the notice routes need. */
export interface NoticeRouteOptions {
  config: Config;
  sink: EventSink;
  metrics: BidderMetrics;
  signer: NoticeSigner;
  ledger: NoticeLedger;
  /** Budget settlement and frequency counting at billing; reservation and hold release at loss. */
  gates: BidGates;
  clock: Clock;
  /** Feeds an auction outcome to the line item's bid strategy (every thread's). */
  learn: (lineItemId: string, outcome: AuctionOutcome) => void;
}

/** OpenRTB loss reason 102: lost to a higher bid — the only loss that says something about the market price. */
const LOST_TO_HIGHER_BID = 102;

const KINDS = ['win', 'billing', 'loss'] as const;

/** Parses `price` (CPM in the bid's currency) to micros; undefined when absent or an unsubstituted macro. */
function priceMicros(raw: unknown): number | undefined | 'invalid' {
  if (raw === undefined || raw === '' || (typeof raw === 'string' && raw.startsWith('${'))) return undefined;
  if (typeof raw !== 'string') return 'invalid';
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) return 'invalid';
  return Math.round(n * 1_000_000);
}

/**
 * `GET /notice/win|billing|loss` from the nurl/burl/lurl of our bids. The signature must match the
 * ids and bid price (else 400); the clearing price must not exceed our bid (else 400; required on
 * billing). Each (kind, bid) is recorded once: retried notices answer 200 `duplicate` — on this
 * instance from its ledger, across instances from the budget store, which settles a bid id once.
 * Billing is what spends (OpenRTB 2.6 §4.4: the win notice alone is no impression): it settles the
 * bid's reservations at the clearing price and counts the impression against the user's caps;
 * a loss gives the reservation and the frequency hold back.
 */
export async function noticeRoutes(app: FastifyInstance, o: NoticeRouteOptions): Promise<void> {
  /**
   * Tells the line item's strategy what the auction revealed, once per bid: a win (from the win or
   * the billing notice, whichever comes first) or a loss to a higher bid. In second price the
   * clearing price is the market price; in first price it is our own bid, and only
   * `${AUCTION_MIN_TO_WIN}` (when the exchange fills it) reveals the market.
   */
  function learn(
    kind: (typeof KINDS)[number],
    f: NoticeFields,
    price: number | undefined,
    mtw: unknown,
    lossCode: number | undefined,
    rate: number,
    now: number,
  ): void {
    const toAccount = (micros: number) => Math.round(micros * rate);
    const bidMicros = toAccount(f.bp);
    const minToWin = priceMicros(mtw);
    const market = typeof minToWin === 'number' ? toAccount(minToWin) : undefined;
    if (kind === 'loss') {
      if (lossCode !== undefined && lossCode !== LOST_TO_HIGHER_BID) return;
      if (!o.ledger.firstTime(`learn:${f.bid}`, now)) return;
      o.learn(f.li, { kind: 'loss', bidMicros, marketPriceMicros: market });
      return;
    }
    if (!o.ledger.firstTime(`learn:${f.bid}`, now)) return;
    const paid = price === undefined ? undefined : toAccount(price);
    o.learn(f.li, {
      kind: 'win',
      bidMicros,
      paidMicros: paid,
      marketPriceMicros: f.at === 1 ? market : (paid ?? market),
    });
  }

  for (const kind of KINDS) {
    app.get(`/notice/${kind}`, async (request, reply) => {
      const q = request.query as Record<string, unknown>;
      const f = o.signer.verify(q);
      if (!f) {
        o.metrics.notices.labels(kind, 'rejected').inc();
        const e = BidderErrors.NOTICE_BAD_SIGNATURE;
        return reply
          .code(e.statusCode)
          .send({ error: { code: e.code, message: 'notice signature does not match' } });
      }
      const price = priceMicros(q.price);
      if (
        price === 'invalid' ||
        (price !== undefined && price > f.bp) ||
        (kind === 'billing' && price === undefined)
      ) {
        o.metrics.notices.labels(kind, 'rejected').inc();
        const e = BidderErrors.NOTICE_BAD_PRICE;
        const why =
          price === undefined
            ? 'billing notice without a clearing price'
            : `clearing price ${String(q.price)} is invalid or above the bid`;
        return reply.code(e.statusCode).send({ error: { code: e.code, message: why } });
      }
      const now = o.clock.now();
      if (!o.ledger.firstTime(`${kind}:${f.bid}`, now)) {
        o.metrics.notices.labels(kind, 'duplicate').inc();
        return { status: 'duplicate' };
      }
      const rate = o.config.currencyRates[f.cur] ?? 1;
      const lossRaw = Number(q.loss);
      if (kind === 'billing') {
        const outcome = await o.gates.billed(f, Math.round((price as number) * rate));
        if (outcome === 'duplicate') {
          o.metrics.notices.labels(kind, 'duplicate').inc();
          return { status: 'duplicate' };
        }
      } else if (kind === 'loss') o.gates.lost(f);
      const event: NoticeEvent = {
        type: kind,
        ts: now,
        bidId: f.bid,
        impId: f.imp,
        lineItemId: f.li,
        campaignId: f.c,
        creativeId: f.cr,
        clearingMicros: price === undefined ? undefined : Math.round(price * rate),
        lossCode: kind === 'loss' && Number.isInteger(lossRaw) ? lossRaw : undefined,
        ...(f.sg !== '' && { segment: f.sg }),
      };
      // Billing is money: the 200 goes out only once the event is durable (fsync'd spool), so an
      // acknowledged notice survives a kill -9 (tests/reporting/serve-clickhouse.test.ts).
      if (kind === 'billing' && o.sink.emitDurable !== undefined) await o.sink.emitDurable(event);
      else o.sink.emit(event);
      o.metrics.notices.labels(kind, 'ok').inc();
      learn(kind, f, price, q.mtw, Number.isInteger(lossRaw) ? lossRaw : undefined, rate, now);
      return { status: 'recorded' };
    });
  }
}
