import { renderMarkup } from '../../creative/index.ts';
import type { Bid, BidRequest, BidResponse } from '../../openrtb/index.ts';
import type { OutbidEvent } from '../../reporting/index.ts';
import type { NoticeSigner } from '../notices/notice-signer.ts';
import { type TrackingFields, trackingQueries } from '../notices/tracking-signer.ts';
import type { PlannedBid } from './decide.ts';

/** What turning decisions into a BidResponse needs. */
export interface ResponseContext {
  readonly signer: NoticeSigner;
  /** Base URL of the notice routes, no trailing slash. */
  readonly publicUrl: string;
  readonly seatId: string;
  readonly nextId: () => string;
  readonly nowMs: number;
  readonly currencyRates: Readonly<Record<string, number>>;
  readonly exchange: string;
  /** `bid.exp` when the imp sets none shorter: how long the bid's budget reservation lasts. */
  readonly bidExpirySec: number;
  /** The user's key (`profileKeyHash`, first of buyeruid/user.id/IFA), carried in tracking URLs for attribution by user id. */
  readonly userKey?: string | undefined;
}

const CDATA_CLICK = /<!\[CDATA\[\{\{CLICK_URL\}\}\]\]>/g;

function escapeAttr(url: string): string {
  return url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/**
 * The markup of a banner, video or audio bid with our tracking: `{{CLICK_URL}}` becomes the signed
 * click URL (raw inside CDATA, where an entity would not be decoded; escaped elsewhere), and the
 * impression pixel is added — an `<img>` after HTML, an `<Impression>` in each VAST `<InLine>`.
 * No pixel where it would break a secure imp (plain-http PUBLIC_URL on `imp.secure=1`).
 */
function trackedMarkup(
  markup: string,
  isVast: boolean,
  ctx: ResponseContext,
  tf: TrackingFields,
  landingUrl: string,
  noPixel: boolean,
): string {
  const q = trackingQueries(ctx.signer, tf, landingUrl);
  const clickUrl = `${ctx.publicUrl}/track/click?${q.click}`;
  const pixelUrl = noPixel ? undefined : `${ctx.publicUrl}/track/impression?${q.impression}`;
  let out = markup.includes('{{CLICK_URL}}')
    ? markup
        .replace(CDATA_CLICK, () => `<![CDATA[${clickUrl}]]>`)
        .replaceAll('{{CLICK_URL}}', escapeAttr(clickUrl))
    : markup;
  if (pixelUrl === undefined || out === '') return out;
  if (isVast)
    out = out.replace(/<InLine>/g, () => `<InLine><Impression><![CDATA[${pixelUrl}]]></Impression>`);
  else
    out += `<img src="${escapeAttr(pixelUrl)}" width="1" height="1" alt="" style="position:absolute;left:-9999px">`;
  return out;
}

/** What the budget, pacing and frequency gates need of a built bid (bidder/gates). */
export interface GateTicket {
  readonly bidId: string;
  readonly lineItemId: string;
  readonly campaignId: string;
  /** The audience segment the bid is for: its segment arm's budget is reserved too, when the allocation has one. */
  readonly segment: string | undefined;
  /** The bid's CPM, micros of the account currency: its highest possible cost is a thousandth of it. */
  readonly priceMicros: number;
  /** `bid.exp`: seconds the bid waits for its billing. */
  readonly expSec: number;
}

/**
 * Stands in a bid's notice URLs for the gate parameters (`NoticeSigner.gateQuery`) until the main
 * thread has admitted the bid: the response may be serialised in a worker, before the gates run.
 * Bid ids are unique, so the marker is too; markup cannot forge it into a URL of ours.
 */
export function gateMarker(bidId: string): string {
  return `{{G:${bidId}}}`;
}

/** Integer micros of `currency` for `accountMicros`, rounded up so the converted price never drops below a converted floor. */
export function toResponseMicros(
  accountMicros: number,
  currency: string,
  rates: Readonly<Record<string, number>>,
): number {
  const rate = rates[currency] ?? 1;
  return rate === 1 ? accountMicros : Math.ceil(accountMicros / rate - 1e-6);
}

/**
 * Builds the BidResponse for planned bids and the bid events to record. Each bid carries signed
 * win (nurl), billing (burl) and loss (lurl) URLs with the `${AUCTION_PRICE}`/`${AUCTION_LOSS}` macros.
 */
export function buildBidResponse(
  req: BidRequest,
  planned: readonly PlannedBid[],
  currency: string,
  ctx: ResponseContext,
): { response: BidResponse; events: OutbidEvent[]; tickets: GateTicket[] } {
  const bids: Bid[] = [];
  const events: OutbidEvent[] = [];
  const tickets: GateTicket[] = [];
  for (const p of planned) {
    const id = ctx.nextId();
    const li = p.lineItem;
    const c = p.creative.creative;
    const bpMicros = toResponseMicros(p.priceMicros, currency, ctx.currencyRates);
    const q = ctx.signer.query({
      bid: id,
      imp: p.imp.id,
      li: li.lineItem.id,
      c: li.campaign.id,
      cr: c.id,
      bp: bpMicros,
      cur: currency,
      ts: ctx.nowMs,
      at: req.at ?? 2,
      sg: p.segment ?? '',
    });
    const g = gateMarker(id);
    const tf: TrackingFields = {
      bid: id,
      imp: p.imp.id,
      li: li.lineItem.id,
      c: li.campaign.id,
      cr: c.id,
      x: ctx.exchange,
      ts: ctx.nowMs,
      u: ctx.userKey ?? '',
      sg: p.segment ?? '',
    };
    const insecurePixel = p.imp.secure === 1 && !ctx.publicUrl.startsWith('https:');
    const exp =
      p.imp.exp !== undefined && p.imp.exp > 0 ? Math.min(p.imp.exp, ctx.bidExpirySec) : ctx.bidExpirySec;
    const bid: Bid = {
      id,
      impid: p.imp.id,
      price: bpMicros / 1_000_000,
      nurl: `${ctx.publicUrl}/notice/win?${q}${g}&price=\${AUCTION_PRICE}&mtw=\${AUCTION_MIN_TO_WIN}`,
      burl: `${ctx.publicUrl}/notice/billing?${q}${g}&price=\${AUCTION_PRICE}&mtw=\${AUCTION_MIN_TO_WIN}`,
      lurl: `${ctx.publicUrl}/notice/loss?${q}${g}&price=\${AUCTION_PRICE}&loss=\${AUCTION_LOSS}&mtw=\${AUCTION_MIN_TO_WIN}`,
      adm:
        p.fit.nativeAdm ??
        (c.markup === undefined
          ? renderMarkup(c, c.landingUrl)
          : trackedMarkup(
              c.markup,
              p.fit.mtype === 2 || p.fit.mtype === 3,
              ctx,
              tf,
              c.landingUrl,
              insecurePixel,
            )),
      adomain: [...c.adomain],
      cid: li.campaign.id,
      crid: c.id,
      cat: [...c.categories],
      mtype: p.fit.mtype,
      exp,
    };
    if (c.attributes.length > 0) bid.attr = [...c.attributes];
    if (p.fit.w !== undefined) bid.w = p.fit.w;
    if (p.fit.h !== undefined) bid.h = p.fit.h;
    if (p.dealId !== undefined) bid.dealid = p.dealId;
    if (c.language !== undefined) bid.language = c.language;
    if (c.bundle !== undefined) bid.bundle = c.bundle;
    bids.push(bid);
    events.push({
      type: 'bid',
      ts: ctx.nowMs,
      bidId: id,
      requestId: req.id,
      impId: p.imp.id,
      exchange: ctx.exchange,
      lineItemId: li.lineItem.id,
      campaignId: li.campaign.id,
      creativeId: c.id,
      priceMicros: p.priceMicros,
      currency,
      dealId: p.dealId,
      pctr: p.pctr,
      pcvr: p.pcvr,
      propensity: p.propensity,
      ...(p.segment !== undefined && { segment: p.segment }),
    });
    tickets.push({
      bidId: id,
      lineItemId: li.lineItem.id,
      campaignId: li.campaign.id,
      segment: p.segment,
      priceMicros: p.priceMicros,
      expSec: exp,
    });
  }
  return {
    response: { id: req.id, cur: currency, seatbid: [{ seat: ctx.seatId, bid: bids }] },
    events,
    tickets,
  };
}
