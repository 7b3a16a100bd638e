import { Ajv } from 'ajv';
import { BidResponseSchema } from '../../openrtb/index.ts';

/**
 * Properties every BidResponse with bids must have, whatever the campaigns: what an exchange would
 * reject or bill wrongly. Shared by the fixture suites and the corpus walker. The request is taken
 * as sent (quoted numbers and all), not as the app normalised it, so a parser bug cannot hide here.
 */

/** What the checks need besides the request and the response. */
export interface BidInvariantOptions {
  /** Account-currency units per one unit of each currency (the config's `currencyRates`, account currency = 1). */
  readonly currencyRates: Readonly<Record<string, number>>;
}

type Rec = Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateResponse = ajv.compile(BidResponseSchema as object);

/** The media object each AdCOM `mtype` fills. */
const MEDIA_BY_MTYPE: Readonly<Record<number, string>> = { 1: 'banner', 2: 'video', 3: 'audio', 4: 'native' };
/** Slack for float noise when comparing a price with a converted floor; prices are whole micros. */
const EPSILON = 1e-9;
const INSECURE_URL = /http:\/\//i;

function rec(v: unknown): Rec | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : undefined;
}
function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function strings(v: unknown): string[] {
  return list(v).filter((s): s is string => typeof s === 'string');
}
/** A number as the wire may carry it (`2.5` or `"2.5"`); undefined when absent or not numeric. */
function num(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
function lowerSet(v: unknown): Set<string> {
  return new Set(strings(v).map((s) => s.toLowerCase()));
}
function upperSet(v: unknown): Set<string> {
  return new Set(strings(v).map((s) => s.toUpperCase()));
}

/** Every violated invariant, as readable sentences (empty when the response is sound). */
export function bidInvariantProblems(
  request: unknown,
  response: unknown,
  opts: BidInvariantOptions,
): string[] {
  if (!validateResponse(response)) {
    return [`response does not match BidResponseSchema: ${ajv.errorsText(validateResponse.errors)}`];
  }
  const problems: string[] = [];
  const req = rec(request) ?? {};
  const res = response as Rec;
  const rates = opts.currencyRates;

  if (res.id !== str(req.id))
    problems.push(`response id ${JSON.stringify(res.id)} is not the request id ${JSON.stringify(req.id)}`);

  // Response currency: one the exchange accepts (USD when `cur` is absent, OpenRTB 2.6 §3.2.1), and one we can convert.
  const cur = String(res.cur);
  const accepted = strings(req.cur).map((c) => c.toUpperCase());
  if (accepted.length > 0 ? !accepted.includes(cur.toUpperCase()) : cur !== 'USD') {
    problems.push(
      `response currency ${cur} is not accepted by the request (cur ${JSON.stringify(req.cur ?? null)})`,
    );
  }
  const responseRate = rates[cur.toUpperCase()];
  if (responseRate === undefined) problems.push(`response currency ${cur} has no configured rate`);

  const imps = new Map<string, Rec>();
  for (const i of list(req.imp)) {
    const imp = rec(i);
    const id = imp && str(imp.id);
    if (imp && id !== undefined) imps.set(id, imp);
  }
  const bcat = upperSet(req.bcat);
  const badv = lowerSet(req.badv);
  const bapp = lowerSet(req.bapp);
  const bseat = new Set(strings(req.bseat));
  const wseat = new Set(strings(req.wseat));
  const wlang = strings(req.wlang).length > 0 ? strings(req.wlang) : strings(req.wlangb);
  const bidIds = new Set<string>();

  /** `amount` of `fromCur` in the response currency, or undefined when either rate is unknown. */
  const toResponse = (amount: number, fromCur: string): number | undefined => {
    const rate = rates[fromCur.toUpperCase()];
    return rate === undefined || responseRate === undefined ? undefined : (amount * rate) / responseRate;
  };

  for (const sb of list(res.seatbid)) {
    const seatbid = sb as Rec;
    const seat = String(seatbid.seat);
    if (bseat.has(seat)) problems.push(`seat ${seat} bids although the request lists it in bseat`);
    if (wseat.size > 0 && !wseat.has(seat))
      problems.push(`seat ${seat} bids although the request's wseat excludes it`);

    for (const b of list(seatbid.bid)) {
      const bid = b as Rec;
      const where = `bid ${String(bid.id)} (imp ${String(bid.impid)})`;
      const price = bid.price as number;
      if (bidIds.has(String(bid.id))) problems.push(`${where}: bid id is not unique in the response`);
      bidIds.add(String(bid.id));

      for (const k of ['nurl', 'burl', 'lurl'] as const) {
        const url = bid[k];
        if (typeof url !== 'string' || !url.includes('${AUCTION_PRICE}')) {
          problems.push(`${where}: ${k} missing or without the \${AUCTION_PRICE} macro`);
        }
      }

      for (const c of strings(bid.cat)) {
        const u = c.toUpperCase();
        const dash = u.indexOf('-');
        if (bcat.has(u) || (dash > 0 && bcat.has(u.slice(0, dash))))
          problems.push(`${where}: category ${c} is blocked by bcat`);
      }
      for (const d of strings(bid.adomain)) {
        if (badv.has(d.toLowerCase())) problems.push(`${where}: adomain ${d} is blocked by badv`);
      }
      if (typeof bid.bundle === 'string' && bapp.has(bid.bundle.toLowerCase())) {
        problems.push(`${where}: bundle ${bid.bundle} is blocked by bapp`);
      }
      if (wlang.length > 0) {
        const lang = typeof bid.language === 'string' ? bid.language.toLowerCase() : undefined;
        const ok =
          lang !== undefined &&
          wlang.some((w) => w.toLowerCase() === lang || w.toLowerCase().startsWith(`${lang}-`));
        if (!ok)
          problems.push(
            `${where}: language ${String(bid.language)} is not in wlang/wlangb ${JSON.stringify(wlang)}`,
          );
      }

      const imp = imps.get(String(bid.impid));
      if (!imp) {
        problems.push(`${where}: impid does not exist in the request`);
        continue;
      }
      const mediaName = MEDIA_BY_MTYPE[bid.mtype as number];
      const media = mediaName === undefined ? undefined : rec(imp[mediaName]);
      if (!media)
        problems.push(
          `${where}: mtype ${String(bid.mtype)} but the imp has no ${mediaName ?? 'such'} object`,
        );
      else {
        const battr = new Set(list(media.battr).map(num));
        for (const a of list(bid.attr)) {
          if (battr.has(num(a)))
            problems.push(`${where}: attribute ${String(a)} is blocked by ${mediaName}.battr`);
        }
      }
      if (mediaName === 'banner' && media) {
        const sizes: string[] = [];
        if (num(media.w) && num(media.h)) sizes.push(`${num(media.w)}x${num(media.h)}`);
        for (const f of list(media.format)) {
          const fr = rec(f);
          if (fr && num(fr.w) && num(fr.h)) sizes.push(`${num(fr.w)}x${num(fr.h)}`);
        }
        if (sizes.length > 0 && !sizes.includes(`${String(bid.w)}x${String(bid.h)}`)) {
          problems.push(
            `${where}: banner size ${String(bid.w)}x${String(bid.h)} is not one the imp offers (${sizes.join(', ')})`,
          );
        }
      }
      if (num(imp.secure) === 1 && typeof bid.adm === 'string' && INSECURE_URL.test(bid.adm)) {
        problems.push(`${where}: the imp is secure but adm loads over http://`);
      }

      // Floors: a deal bid answers to its deal's floor, an open bid to the imp's.
      const pmp = rec(imp.pmp);
      let floor: number;
      let floorCur: string;
      if (bid.dealid !== undefined) {
        const deal = list(pmp?.deals)
          .map(rec)
          .find((d) => d !== undefined && str(d.id) === bid.dealid);
        if (!deal) {
          problems.push(`${where}: dealid ${String(bid.dealid)} is not a deal of the imp`);
          continue;
        }
        const dealWseat = strings(deal.wseat);
        if (dealWseat.length > 0 && !dealWseat.includes(seat))
          problems.push(`${where}: deal ${String(bid.dealid)} excludes seat ${seat}`);
        const wadomain = lowerSet(deal.wadomain);
        if (wadomain.size > 0 && !strings(bid.adomain).some((d) => wadomain.has(d.toLowerCase()))) {
          problems.push(`${where}: no adomain in deal ${String(bid.dealid)}'s wadomain`);
        }
        floor = num(deal.bidfloor) ?? 0;
        // OpenRTB 2.6 §3.2.12: Deal.bidfloorcur defaults to USD, not to the imp's currency.
        floorCur = str(deal.bidfloorcur) ?? 'USD';
        if (num(deal.at) === 3) {
          const fixed = toResponse(floor, floorCur);
          if (fixed === undefined || Math.abs(price - fixed) > 1e-6 + EPSILON) {
            problems.push(
              `${where}: fixed-price deal (at=3) at ${floor} ${floorCur} but the bid is ${price} ${cur}`,
            );
          }
        }
      } else {
        if (num(pmp?.private_auction) === 1) problems.push(`${where}: open-market bid in a private auction`);
        floor = num(imp.bidfloor) ?? 0;
        floorCur = str(imp.bidfloorcur) ?? 'USD';
      }
      if (floor > 0) {
        const floorInResponse = toResponse(floor, floorCur);
        if (floorInResponse === undefined)
          problems.push(`${where}: floor currency ${floorCur} has no configured rate`);
        else if (price + EPSILON < floorInResponse) {
          problems.push(
            `${where}: price ${price} ${cur} is below the floor ${floor} ${floorCur} (${floorInResponse} ${cur})`,
          );
        }
      }
    }
  }
  return problems;
}

/** Throws an Error listing every violated invariant of a BidResponse with bids. */
export function assertBidInvariants(request: unknown, response: unknown, opts: BidInvariantOptions): void {
  const problems = bidInvariantProblems(request, response, opts);
  if (problems.length > 0)
    throw new Error(`bid response invariants violated:\n  - ${problems.join('\n  - ')}`);
}
