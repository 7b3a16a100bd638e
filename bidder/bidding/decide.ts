import { furtherReason, type NoBidReasonName, type Rng } from '../../core/index.ts';
import {
  type CompiledCreative,
  type Fit,
  fitCreative,
  type NativeRequest,
  parseNativeRequest,
} from '../../creative/index.ts';
import { type BidRequest, type Deal, type Imp, MarkupType } from '../../openrtb/index.ts';
import { encodeFeatures, type Score, type ScoringFeatures, scoreEncoded } from '../scoring/score.ts';
import type { CompiledLineItem, CompiledSnapshot } from '../targeting/compile-snapshot.ts';
import { matchLineItems } from '../targeting/match-line-items.ts';
import { requestContext } from '../targeting/request-context.ts';

/** Settings the decision needs (from config). */
export interface DecideOptions {
  readonly seatId: string;
  readonly accountCurrency: string;
  /** Account-currency units per one unit of each currency (account currency = 1). */
  readonly currencyRates: Readonly<Record<string, number>>;
}

/** A bid chosen for one imp, priced in account micros. */
export interface PlannedBid {
  readonly imp: Imp;
  readonly lineItem: CompiledLineItem;
  readonly creative: CompiledCreative;
  readonly fit: Fit;
  readonly priceMicros: number;
  readonly dealId: string | undefined;
  /** Predicted click and conversion rates from the line item's score table, if it has one. */
  readonly pctr: number | undefined;
  readonly pcvr: number | undefined;
  /** Probability with which this creative was chosen among the eligible ones (for off-policy evaluation of variants). */
  readonly propensity: number;
  /** The audience segment the bid is for: the first of the line item's `targeting.segments` the user is in. */
  readonly segment: string | undefined;
}

/**
 * What the main thread's gates (bidder/gates) bring to a decision: the line items it matched
 * already (to check frequency caps before deciding), and a screen that turns a candidate away —
 * pacing throttle, spent budget, a frequency cap — with a reason, before it can win the imp, so
 * the next-best line item bids instead.
 */
export interface DecideGate {
  readonly matched?: readonly CompiledLineItem[];
  /** A no-bid reason when `li` must not bid `priceMicros` (account CPM micros) for `segment` now, else undefined. */
  readonly screen?: (
    li: CompiledLineItem,
    priceMicros: number,
    segment: string | undefined,
  ) => NoBidReasonName | undefined;
}

/** The outcome of evaluating a request: bids (at least one) or a no-bid reason. */
export type Decision =
  | { readonly kind: 'bid'; readonly bids: readonly PlannedBid[]; readonly currency: string }
  | { readonly kind: 'nobid'; readonly reason: NoBidReasonName };

interface Blocks {
  bcat: ReadonlySet<string> | undefined;
  badv: ReadonlySet<string> | undefined;
  bapp: ReadonlySet<string> | undefined;
  wlang: readonly string[] | undefined;
}

function lowerSet(list: readonly string[] | null | undefined): ReadonlySet<string> | undefined {
  return list && list.length > 0 ? new Set(list.map((s) => s.toLowerCase())) : undefined;
}

/** Micros of the account currency for `amount` units of `cur`, rounded up so a converted floor is never undercut. */
function floorMicros(
  amount: number | undefined,
  cur: string,
  rates: DecideOptions['currencyRates'],
): number | undefined {
  if (amount === undefined || amount <= 0) return 0;
  const rate = rates[cur.toUpperCase()];
  if (rate === undefined) return undefined;
  return Math.ceil(amount * rate * 1_000_000 - 1e-6);
}

function blocked(
  cc: CompiledCreative,
  li: CompiledLineItem,
  b: Blocks,
  battr: readonly number[] | null | undefined,
): boolean {
  const c = cc.creative;
  if (b.bcat) {
    for (const cat of c.categories) {
      const u = cat.toUpperCase();
      if (b.bcat.has(u)) return true;
      const dash = u.indexOf('-');
      if (dash > 0 && b.bcat.has(u.slice(0, dash))) return true;
    }
  }
  if (b.badv) {
    if (b.badv.has(li.advertiser.domain.toLowerCase())) return true;
    for (const d of cc.adomain) if (b.badv.has(d)) return true;
  }
  if (b.bapp && c.bundle !== undefined && b.bapp.has(c.bundle.toLowerCase())) return true;
  if (battr && battr.length > 0) {
    for (const a of c.attributes) if (battr.includes(a)) return true;
  }
  if (b.wlang) {
    const lang = c.language?.toLowerCase();
    if (lang === undefined || !b.wlang.some((w) => w === lang || w.startsWith(`${lang}-`))) return true;
  }
  return false;
}

function impFormats(imp: Imp): string[] {
  const f: string[] = [];
  if (imp.banner) f.push('banner');
  if (imp.video) f.push('video');
  if (imp.native) f.push('native');
  if (imp.audio) f.push('audio');
  return f;
}

function impSizes(imp: Imp): string[] {
  const s: string[] = [];
  const b = imp.banner;
  if (b?.w && b.h) s.push(`${b.w}x${b.h}`);
  for (const f of b?.format ?? []) if (f.w && f.h) s.push(`${f.w}x${f.h}`);
  const v = imp.video;
  if (v?.w && v.h) s.push(`${v.w}x${v.h}`);
  return s;
}

/** Picks the response currency: the account currency when the exchange accepts it, else the first accepted one we have a rate for. */
function responseCurrency(req: BidRequest, opts: DecideOptions): string | undefined {
  const cur = req.cur;
  if (!cur || cur.length === 0) return opts.currencyRates.USD !== undefined ? 'USD' : undefined;
  const upper = cur.map((c) => c.toUpperCase());
  if (upper.includes(opts.accountCurrency)) return opts.accountCurrency;
  return upper.find((c) => opts.currencyRates[c] !== undefined);
}

/**
 * Decides a request: targeting, creative fit, blocks, deals, floors and price. Pure: no I/O, time
 * and randomness come in as arguments, the snapshot is immutable — so it can run in a worker.
 * Per imp it returns the best deal bid and the best open-market bid (when the auction is open).
 */
export function decide(
  snap: CompiledSnapshot,
  req: BidRequest,
  nowMs: number,
  rng: Rng,
  opts: DecideOptions,
  /** What to score on (request and profile segments, context); undefined scores nothing. */
  features?: ScoringFeatures,
  gate?: DecideGate,
): Decision {
  if (snap.lineItems.length === 0) return { kind: 'nobid', reason: 'NO_CAMPAIGNS' };
  if (
    req.bseat?.includes(opts.seatId) ||
    (req.wseat && req.wseat.length > 0 && !req.wseat.includes(opts.seatId))
  ) {
    return { kind: 'nobid', reason: 'SEAT_BLOCKED' };
  }
  const currency = responseCurrency(req, opts);
  if (currency === undefined) return { kind: 'nobid', reason: 'CURRENCY_UNSUPPORTED' };
  const lineItems = gate?.matched ?? matchLineItems(snap, requestContext(req), nowMs);
  if (lineItems.length === 0) return { kind: 'nobid', reason: 'NO_MATCHING_LINE_ITEM' };
  const matched = scoreLineItems(snap, segmentMatch(lineItems, features), features, nowMs);
  if (matched.length === 0) return { kind: 'nobid', reason: 'NO_MATCHING_LINE_ITEM' };
  const auction: Auction = { nowMs, firstPrice: req.at === 1, snap, screen: gate?.screen };

  const blocks: Blocks = {
    bcat: req.bcat && req.bcat.length > 0 ? new Set(req.bcat.map((c) => c.toUpperCase())) : undefined,
    badv: lowerSet(req.badv),
    bapp: lowerSet(req.bapp),
    wlang:
      req.wlang && req.wlang.length > 0
        ? req.wlang.map((l) => l.toLowerCase())
        : req.wlangb && req.wlangb.length > 0
          ? req.wlangb.map((l) => l.toLowerCase())
          : undefined,
  };
  const bids: PlannedBid[] = [];
  let reason: NoBidReasonName = 'UNSUPPORTED_IMP';
  for (const imp of req.imp) {
    const result = decideImp(imp, matched, blocks, rng, opts, auction);
    if (Array.isArray(result)) bids.push(...result);
    else reason = furtherReason(reason, result);
  }
  return bids.length > 0 ? { kind: 'bid', bids, currency } : { kind: 'nobid', reason };
}

/** A matched line item with its predicted rates for this request (undefined without a score table). */
interface Scored {
  readonly li: CompiledLineItem;
  readonly pctr: number | undefined;
  readonly pcvr: number | undefined;
  /** The segment of `li.segments` the user is in (the first listed), undefined when it targets none. */
  readonly segment: string | undefined;
}

/** A matched line item and the segment its bid would be for. */
interface Candidate {
  readonly li: CompiledLineItem;
  readonly segment: string | undefined;
}

/**
 * Audience segment targeting: keeps the line items whose `targeting.segments` the user is in (any
 * one), each with the first listed segment the user is in; line items without segment targeting
 * pass with no segment.
 */
function segmentMatch(
  lineItems: readonly CompiledLineItem[],
  features: ScoringFeatures | undefined,
): Candidate[] {
  let have: Set<string> | undefined;
  const out: Candidate[] = [];
  for (const li of lineItems) {
    if (li.segments === undefined) {
      out.push({ li, segment: undefined });
      continue;
    }
    have ??= new Set((features?.segments ?? []).map((seg) => seg.id));
    const segment = li.segments.find((id) => have!.has(id));
    if (segment !== undefined) out.push({ li, segment });
  }
  return out;
}

/** Request-wide pricing inputs. */
interface Auction {
  readonly nowMs: number;
  /** `at=1`: value strategies shade their bids. */
  readonly firstPrice: boolean;
  readonly snap: CompiledSnapshot;
  readonly screen: DecideGate['screen'];
}

const HOUR_MS = 3_600_000;

/**
 * The line item's price for a floor, from its strategy. Until budgets and pacing are tracked (the
 * budgets issue), the campaign's daily budget stands for the remaining budget and the rest of the
 * campaign's local day for the remaining time.
 */
function priceFor(s: Scored, floorMicros: number, a: Auction): number | undefined {
  const li = s.li;
  const hour = a.snap.localTime.at(li.campaign.timeZone, a.nowMs).hour;
  return li.strategy.price({
    floorMicros,
    firstPrice: a.firstPrice,
    remainingBudgetMicros: li.campaign.dailyBudgetMicros,
    nowMs: a.nowMs,
    pctr: s.pctr,
    pcvr: s.pcvr,
    valueMicros: li.scoreTable?.conversionValueMicros,
    remainingMs: (24 - hour) * HOUR_MS - (a.nowMs % HOUR_MS),
  });
}

/**
 * Scores each matched line item that has a table, encoding the request's features once for all of
 * them; the hour feature is the hour in each campaign's own time zone.
 */
function scoreLineItems(
  snap: CompiledSnapshot,
  candidates: readonly Candidate[],
  features: ScoringFeatures | undefined,
  nowMs: number,
): Scored[] {
  if (features === undefined || snap.scoring.byLineItem.size === 0) {
    return candidates.map(({ li, segment }) => ({ li, pctr: undefined, pcvr: undefined, segment }));
  }
  const encoded = encodeFeatures(snap.scoring.vocabulary, features, snap.encoded);
  const out: Scored[] = [];
  const s: Score = { pctr: 0, pcvr: undefined };
  for (const { li, segment } of candidates) {
    if (li.scoreTable === undefined) {
      out.push({ li, pctr: undefined, pcvr: undefined, segment });
      continue;
    }
    encoded.hour = snap.localTime.at(li.campaign.timeZone, nowMs).hour;
    scoreEncoded(li.scoreTable, encoded, s);
    out.push({ li, pctr: s.pctr, pcvr: s.pcvr, segment });
  }
  return out;
}

function decideImp(
  imp: Imp,
  matched: readonly Scored[],
  blocks: Blocks,
  rng: Rng,
  opts: DecideOptions,
  auction: Auction,
): PlannedBid[] | NoBidReasonName {
  const formats = impFormats(imp);
  if (formats.length === 0) return 'UNSUPPORTED_IMP';
  const sizes = impSizes(imp);
  const secure = imp.secure === 1;
  const privateAuction = imp.pmp?.private_auction === 1;
  const deals = (imp.pmp?.deals ?? []).filter(
    (d) => !d.wseat || d.wseat.length === 0 || d.wseat.includes(opts.seatId),
  );
  const openFloor = floorMicros(imp.bidfloor ?? undefined, imp.bidfloorcur ?? 'USD', opts.currencyRates);
  const nativeReq: NativeRequest | undefined = imp.native
    ? parseNativeRequest(imp.native.request)
    : undefined;

  let reason: NoBidReasonName = 'NO_MATCHING_LINE_ITEM';
  let bestOpen: PlannedBid | undefined;
  let bestDeal: PlannedBid | undefined;
  for (const scored of matched) {
    const { li, pctr, pcvr } = scored;
    if (li.formats && !formats.some((f) => li.formats!.has(f))) continue;
    if (li.sizes && !sizes.some((s) => li.sizes!.has(s))) continue;
    const liDeals = li.deals ? deals.filter((d) => li.deals!.has(d.id)) : [];
    const openAllowed = !privateAuction && !li.dealsOnly;
    if (!openAllowed && liDeals.length === 0) {
      reason = furtherReason(reason, 'PRIVATE_AUCTION_NO_DEAL');
      continue;
    }
    // Creatives that fit, are https when required and are not blocked.
    const eligible: { cc: CompiledCreative; fit: Fit }[] = [];
    for (const cc of li.creatives) {
      const fit = fitCreative(cc, imp, nativeReq);
      // Size targeting constrains what is delivered, not only what the imp offers.
      if (!fit || (li.sizes && fit.mtype === MarkupType.banner && !li.sizes.has(`${fit.w}x${fit.h}`))) {
        reason = furtherReason(reason, 'NO_FITTING_CREATIVE');
        continue;
      }
      if (secure && !cc.secure) {
        reason = furtherReason(reason, 'SECURE_REQUIRED');
        continue;
      }
      if (blocked(cc, li, blocks, fit.battr)) {
        reason = furtherReason(reason, 'BLOCKED_BY_REQUEST');
        continue;
      }
      eligible.push({ cc, fit });
    }
    if (eligible.length === 0) continue;
    if (openAllowed) {
      if (openFloor === undefined) reason = furtherReason(reason, 'CURRENCY_UNSUPPORTED');
      else {
        const price = priceFor(scored, openFloor, auction);
        const turnedAway =
          price !== undefined && auction.screen !== undefined && (!bestOpen || price > bestOpen.priceMicros)
            ? auction.screen(li, price, scored.segment)
            : undefined;
        if (price === undefined) reason = furtherReason(reason, 'BELOW_FLOOR');
        else if (turnedAway !== undefined) reason = furtherReason(reason, turnedAway);
        else if (!bestOpen || price > bestOpen.priceMicros) {
          const pick = pickCreative(eligible, li.creativeWeights, rng);
          bestOpen = {
            imp,
            lineItem: li,
            creative: pick.cc,
            fit: pick.fit,
            priceMicros: price,
            dealId: undefined,
            pctr,
            pcvr,
            propensity: pick.propensity,
            segment: scored.segment,
          };
        }
      }
    }
    for (const deal of liDeals) {
      const dealBid = priceDeal(deal, scored, eligible, imp, rng, opts, auction);
      if (typeof dealBid === 'string') reason = furtherReason(reason, dealBid);
      else if (!bestDeal || dealBid.priceMicros > bestDeal.priceMicros) bestDeal = dealBid;
    }
  }
  const out: PlannedBid[] = [];
  if (bestDeal) out.push(bestDeal);
  if (bestOpen) out.push(bestOpen);
  return out.length > 0 ? out : reason;
}

function priceDeal(
  deal: Deal,
  scored: Scored,
  eligible: readonly { cc: CompiledCreative; fit: Fit }[],
  imp: Imp,
  rng: Rng,
  opts: DecideOptions,
  auction: Auction,
): PlannedBid | NoBidReasonName {
  const { li, pctr, pcvr } = scored;
  const wadomain = deal.wadomain && deal.wadomain.length > 0 ? lowerSet(deal.wadomain) : undefined;
  const allowed = wadomain ? eligible.filter((e) => e.cc.adomain.some((d) => wadomain.has(d))) : eligible;
  if (allowed.length === 0) return 'BLOCKED_BY_REQUEST';
  // OpenRTB 2.6 §3.2.12: a deal's bidfloorcur defaults to USD, independently of the imp's.
  const floor = floorMicros(deal.bidfloor ?? undefined, deal.bidfloorcur ?? 'USD', opts.currencyRates);
  if (floor === undefined) return 'CURRENCY_UNSUPPORTED';
  // at=3: fixed-price deal — the price is the deal floor, if the line item may pay it.
  const price =
    deal.at === 3
      ? floor > 0 && floor <= li.lineItem.maxCpmMicros
        ? floor
        : undefined
      : priceFor(scored, floor, auction);
  if (price === undefined) return 'BELOW_FLOOR';
  const turnedAway = auction.screen?.(li, price, scored.segment);
  if (turnedAway !== undefined) return turnedAway;
  const pick = pickCreative(allowed, li.creativeWeights, rng);
  return {
    imp,
    lineItem: li,
    creative: pick.cc,
    fit: pick.fit,
    priceMicros: price,
    dealId: deal.id,
    pctr,
    pcvr,
    propensity: pick.propensity,
    segment: scored.segment,
  };
}

/**
 * Draws one of the eligible creatives: by the optimizer's serving weights when the line item has
 * them (renormalised over the eligible ones; a creative the allocation leaves out weighs 0), else
 * uniformly. One RNG draw either way. The propensity is logged with the bid, so the optimizer can
 * weigh outcomes by how likely each variant was to be shown.
 */
export function pickCreative<T extends { cc: CompiledCreative }>(
  eligible: readonly T[],
  weights: ReadonlyMap<string, number> | undefined,
  rng: Rng,
): T & { propensity: number } {
  const u = rng.next();
  let total = 0;
  if (weights !== undefined) for (const e of eligible) total += weights.get(e.cc.creative.id) ?? 0;
  if (!(total > 0)) {
    const i = Math.floor(u * eligible.length);
    return { ...eligible[i]!, propensity: 1 / eligible.length };
  }
  let at = u * total;
  let last = eligible[0]!;
  for (const e of eligible) {
    const w = weights!.get(e.cc.creative.id) ?? 0;
    if (w <= 0) continue;
    last = e;
    if (at < w) return { ...e, propensity: w / total };
    at -= w;
  }
  // Rounding left `at` a hair above the last weight: that one it is.
  return { ...last, propensity: (weights!.get(last.cc.creative.id) ?? 0) / total };
}
