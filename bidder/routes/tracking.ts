import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../../config/index.ts';
import { type Clock, profileKeyHash } from '../../core/index.ts';
import { type EventSink, type OutbidEvent, ReportingErrors } from '../../reporting/index.ts';
import type { NoticeLedger } from '../notices/billing-ledger.ts';
import type { NoticeSigner } from '../notices/notice-signer.ts';
import { verifyTracking } from '../notices/tracking-signer.ts';

/** What the tracking routes need. */
export interface TrackingRouteOptions {
  config: Config;
  sink: EventSink;
  signer: NoticeSigner;
  /** Remembers impressions already recorded on this instance (ClickHouse dedups across instances by event id). */
  ledger: NoticeLedger;
  clock: Clock;
  /** Click ids (default: 16 random bytes, base64url). */
  newClickId?: () => string;
}

/** The smallest transparent GIF (43 bytes). */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** Longest id accepted in a postback: ids are stored and indexed, and nobody's order id is longer. */
const MAX_ID = 256;

const CURRENCY = /^[A-Z]{3}$/;
const DECIMAL = /^\d{1,12}(\.\d{1,6})?$/;

function fail(reply: FastifyReply, def: { code: string; statusCode: number }, message: string) {
  return reply.code(def.statusCode).send({ error: { code: def.code, message } });
}

/** Appends `click_id` to a landing URL, before any fragment, keeping its own parameters. */
export function withClickId(landingUrl: string, clickId: string): string {
  const url = new URL(landingUrl);
  url.searchParams.set('click_id', clickId);
  return url.toString();
}

function text(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * `GET /track/impression` (the pixel in our markup), `GET /track/click` (302 to the landing page
 * with `click_id`), `GET|POST /track/conversion` (the advertiser's postback). Impression and click
 * URLs are signed (tracking-signer.ts): a tampered one is a 400 and never a redirect.
 */
export async function trackingRoutes(app: FastifyInstance, o: TrackingRouteOptions): Promise<void> {
  const newClickId = o.newClickId ?? (() => randomBytes(16).toString('base64url'));
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16_384 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.get('/track/impression', async (req, reply) => {
    const t = verifyTracking(o.signer, 'imp', req.query as Record<string, unknown>);
    if (!t)
      return fail(reply, ReportingErrors.TRACK_BAD_SIGNATURE, 'impression URL signature does not match');
    const f = t.fields;
    const now = o.clock.now();
    // One impression per bid: a pixel loaded twice (reload, prefetch) is recorded once here, and
    // `impression:<bid>` dedups in ClickHouse across instances.
    if (o.ledger.firstTime(`impression:${f.bid}`, now)) {
      o.sink.emit({
        type: 'impression',
        ts: now,
        bidId: f.bid,
        impId: f.imp,
        lineItemId: f.li,
        campaignId: f.c,
        creativeId: f.cr,
        exchange: f.x,
        ...(f.u !== '' && { userKey: f.u }),
        ...(f.sg !== '' && { segment: f.sg }),
      });
    }
    return reply.header('cache-control', 'no-store, max-age=0').type('image/gif').send(PIXEL);
  });

  app.get('/track/click', async (req, reply) => {
    const t = verifyTracking(o.signer, 'click', req.query as Record<string, unknown>);
    if (!t) return fail(reply, ReportingErrors.TRACK_BAD_SIGNATURE, 'click URL signature does not match');
    const f = t.fields;
    let location: string;
    const clickId = newClickId();
    try {
      location = withClickId(t.url!, clickId);
    } catch {
      return fail(reply, ReportingErrors.TRACK_BAD_SIGNATURE, 'the signed landing URL is not a URL');
    }
    o.sink.emit({
      type: 'click',
      ts: o.clock.now(),
      bidId: f.bid,
      impId: f.imp,
      lineItemId: f.li,
      campaignId: f.c,
      creativeId: f.cr,
      clickId,
      exchange: f.x,
      ...(f.u !== '' && { userKey: f.u }),
      ...(f.sg !== '' && { segment: f.sg }),
    });
    return reply.header('cache-control', 'no-store').redirect(location, 302);
  });

  const conversion = async (
    input: Record<string, unknown>,
    reply: FastifyReply,
  ): Promise<FastifyReply | { status: string; conversion_id?: string }> => {
    const clickId = text(input.click_id);
    const bidId = text(input.imp_id);
    const userId = text(input.user_id);
    const conversionId = text(input.conversion_id) ?? text(input.order_id);
    const bad = (m: string) => fail(reply, ReportingErrors.TRACK_BAD_CONVERSION, m);
    if (clickId === undefined && bidId === undefined && userId === undefined)
      return bad('a conversion needs click_id, imp_id or user_id');
    for (const [name, v] of [
      ['click_id', clickId],
      ['imp_id', bidId],
      ['user_id', userId],
      ['conversion_id', conversionId],
    ] as const) {
      if (v !== undefined && v.length > MAX_ID) return bad(`${name} is longer than ${MAX_ID} characters`);
    }
    const valueText = text(input.value);
    if (valueText !== undefined && !DECIMAL.test(valueText))
      return bad('value must be a non-negative decimal number (at most 6 decimals)');
    const currency = text(input.currency) ?? o.config.accountCurrency;
    if (!CURRENCY.test(currency)) return bad('currency must be an ISO-4217 code like EUR');
    const rate = o.config.currencyRates[currency];
    if (rate === undefined) return bad(`no CURRENCY_RATES entry for ${currency}`);
    // Converted once, here at the edge (ARCHITECTURE "Money and time"); micros of the account currency.
    const valueMicros = valueText === undefined ? 0 : Math.round(Number(valueText) * 1_000_000 * rate);
    const event: OutbidEvent = {
      type: 'conversion',
      ts: o.clock.now(),
      // The advertiser's id makes a repeated postback one row; without one each postback counts.
      eventId: `conversion:${conversionId ?? `anon-${newClickId()}`}`,
      valueMicros,
      ...(conversionId !== undefined && { conversionId }),
      ...(clickId !== undefined && { clickId }),
      ...(bidId !== undefined && { bidId }),
      ...(userId !== undefined && { userKey: profileKeyHash(userId, o.config.profileSalt) }),
    };
    // Acknowledged only once durable: the advertiser will not send it again.
    if (o.sink.emitDurable !== undefined) await o.sink.emitDurable(event);
    else o.sink.emit(event);
    return conversionId === undefined
      ? { status: 'recorded' }
      : { status: 'recorded', conversion_id: conversionId };
  };

  app.get('/track/conversion', async (req, reply) => conversion(req.query as Record<string, unknown>, reply));
  app.post('/track/conversion', async (req, reply) => {
    const body = req.body;
    const fromBody = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
    return conversion({ ...(req.query as Record<string, unknown>), ...fromBody }, reply);
  });
}
