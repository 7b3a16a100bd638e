import type { CompiledLineItem, CompiledSnapshot, Posting } from './compile-snapshot.ts';
import type { RequestContext } from './request-context.ts';

const EMPTY: readonly number[] = [];

function lists<K>(p: Posting<K>, keys: readonly (K | undefined)[]): (readonly number[])[] {
  const out: (readonly number[])[] = [p.any];
  for (const k of keys) {
    if (k === undefined) continue;
    const l = p.byValue.get(k);
    if (l) out.push(l);
  }
  return out;
}

function size(ls: readonly (readonly number[])[]): number {
  let n = 0;
  for (const l of ls) n += l.length;
  return n;
}

function someIn(set: ReadonlySet<string>, values: readonly string[]): boolean {
  for (const v of values) if (set.has(v)) return true;
  return false;
}

/** Whether a line item's request-level targeting (flight, geo, device, inventory, lists, day-part) accepts the request. */
export function matchesRequest(
  li: CompiledLineItem,
  ctx: RequestContext,
  snap: CompiledSnapshot,
  nowMs: number,
): boolean {
  if (nowMs < li.startMs || nowMs >= li.endMs) return false;
  if (li.countries && (ctx.country === undefined || !li.countries.has(ctx.country))) return false;
  if (li.regions && (ctx.region === undefined || !li.regions.has(ctx.region))) return false;
  if (li.deviceTypes && (ctx.deviceType === undefined || !li.deviceTypes.has(ctx.deviceType))) return false;
  if (li.os && (ctx.os === undefined || !li.os.has(ctx.os))) return false;
  if (li.inventoryTypes && (ctx.inventoryType === undefined || !li.inventoryTypes.has(ctx.inventoryType)))
    return false;
  if (li.domainAllow && !someIn(li.domainAllow, ctx.domains)) return false;
  if (li.domainBlock && someIn(li.domainBlock, ctx.domains)) return false;
  if (li.bundleAllow && (ctx.bundle === undefined || !li.bundleAllow.has(ctx.bundle))) return false;
  if (li.bundleBlock && ctx.bundle !== undefined && li.bundleBlock.has(ctx.bundle)) return false;
  if (li.catAllow && !someIn(li.catAllow, ctx.categories)) return false;
  if (li.catBlock && someIn(li.catBlock, ctx.categories)) return false;
  if (li.dayParts) {
    const t = snap.localTime.at(li.campaign.timeZone, nowMs);
    if (!li.dayParts.some((d) => d.days.includes(t.dow) && t.hour >= d.startHour && t.hour < d.endHour))
      return false;
  }
  return true;
}

/**
 * The line items whose request-level targeting accepts the request. Walks only the posting lists of
 * the most selective indexed dimension (country, device type, OS, inventory type, domain, bundle),
 * then verifies the rest, so line items that an indexed dimension rules out cost nothing
 * (bench/bidder/targeting.bench.ts: flat from 10 to 10,000 non-matching line items).
 */
export function matchLineItems(
  snap: CompiledSnapshot,
  ctx: RequestContext,
  nowMs: number,
): CompiledLineItem[] {
  const dims = [
    lists(snap.byCountry, [ctx.country]),
    lists(snap.byDeviceType, [ctx.deviceType]),
    lists(snap.byOs, [ctx.os]),
    lists(snap.byInventory, [ctx.inventoryType]),
    lists(snap.byDomain, ctx.domains),
    lists(snap.byBundle, [ctx.bundle]),
  ];
  let best = dims[0] ?? [EMPTY];
  let bestSize = size(best);
  for (const d of dims) {
    const s = size(d);
    if (s < bestSize) {
      best = d;
      bestSize = s;
    }
  }
  const out: CompiledLineItem[] = [];
  // A line item can sit in several of the chosen lists only through parent domains; dedupe then.
  const seen = best.length > 2 ? new Set<number>() : undefined;
  for (const list of best) {
    for (const idx of list) {
      if (seen) {
        if (seen.has(idx)) continue;
        seen.add(idx);
      }
      const li = snap.lineItems[idx]!;
      if (matchesRequest(li, ctx, snap, nowMs)) out.push(li);
    }
  }
  return out;
}
