import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { Clock } from '../../core/index.ts';
import type { EventSink } from '../../reporting/index.ts';
import { BidderErrors } from '../errors.ts';
import type { BidderMetrics } from '../metrics.ts';
import type { NoticeLedger } from '../notices/billing-ledger.ts';
import type { NoticeSigner } from '../notices/notice-signer.ts';

/** What the notice routes need. */
export interface NoticeRouteOptions {
  config: Config;
  sink: EventSink;
  metrics: BidderMetrics;
  signer: NoticeSigner;
  ledger: NoticeLedger;
  clock: Clock;
}

const KINDS = ['win', 'billing', 'loss'] as const;

/** Parses `price` (CPM in the bid's currency) to micros; undefined when absent or an unsubstituted macro. */
function priceMicros(raw: unknown): number | undefined | 'invalid' {
  if (raw === undefined || raw === '' || raw === '${AUCTION_PRICE}') return undefined;
  if (typeof raw !== 'string') return 'invalid';
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) return 'invalid';
  return Math.round(n * 1_000_000);
}

/**
 * `GET /notice/win|billing|loss` from the nurl/burl/lurl of our bids. The signature must match the
 * ids and bid price (else 400); the clearing price must not exceed our bid (else 400; required on
 * billing). Each (kind, bid) is recorded once: retried notices answer 200 `duplicate`.
 */
export async function noticeRoutes(app: FastifyInstance, o: NoticeRouteOptions): Promise<void> {
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
      o.sink.emit({
        type: kind,
        ts: now,
        bidId: f.bid,
        impId: f.imp,
        lineItemId: f.li,
        campaignId: f.c,
        creativeId: f.cr,
        clearingMicros: price === undefined ? undefined : Math.round(price * rate),
        lossCode: kind === 'loss' && Number.isInteger(lossRaw) ? lossRaw : undefined,
      });
      o.metrics.notices.labels(kind, 'ok').inc();
      return { status: 'recorded' };
    });
  }
}
