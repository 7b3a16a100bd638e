import type { BitDimension, CompiledLineItem, CompiledSnapshot } from './compile-snapshot.ts';
import type { RequestContext } from './request-context.ts';

/** The value's bitset of a dense dimension, or the all-zero one when nobody lists the value. */
function denseBits<K>(d: BitDimension<K>, key: K | undefined, zeros: Uint32Array): Uint32Array {
  return (key !== undefined && d.dense?.get(key)) || zeros;
}

/**
 * The bits of a sparse dimension for these keys: its `any` bits plus every listed line item. Copies
 * into `out` only when a key is listed; otherwise `any` itself is returned (the common case).
 */
function sparseBits<K>(d: BitDimension<K>, keys: readonly (K | undefined)[], out: Uint32Array): Uint32Array {
  let bits = d.any;
  for (const k of keys) {
    if (k === undefined) continue;
    const list = d.lists.get(k);
    if (!list) continue;
    if (bits !== out) {
      out.set(d.any);
      bits = out;
    }
    for (const idx of list) out[idx >>> 5]! |= 1 << (idx & 31);
  }
  return bits;
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

/** Candidates from one dimension's posting lists: the lists of the request's values plus `any`. */
function postings<K>(d: BitDimension<K>, keys: readonly (K | undefined)[]): (readonly number[])[] {
  const out: (readonly number[])[] = [d.anyList];
  for (const k of keys) {
    if (k === undefined) continue;
    const l = d.lists.get(k);
    if (l) out.push(l);
  }
  return out;
}

function total(lists: readonly (readonly number[])[]): number {
  let n = 0;
  for (const l of lists) n += l.length;
  return n;
}

/**
 * The line items whose request-level targeting accepts the request, in index order, by the cheaper
 * of two paths (bench/bidder/targeting.bench.ts):
 * - posting lists: when one indexed dimension (country, device type, OS, inventory type, domain,
 *   bundle) leaves few candidates, only those are visited and checked in full — line items that
 *   dimension rules out cost nothing;
 * - bitsets: when every dimension leaves many (line items ruled out by *different* dimensions),
 *   the dimensions are intersected as bitsets, one AND per 32 line items and dimension, and only
 *   the survivors are visited — a ruled-out line item costs a bit, not a visit.
 * A visit (full check) costs about as much as ANDing two words of every dimension, hence the
 * threshold of words/2 candidates.
 */
export function matchLineItems(
  snap: CompiledSnapshot,
  ctx: RequestContext,
  nowMs: number,
  /** Tests only: take this path whatever the sizes. */
  path?: 'postings' | 'bits',
): CompiledLineItem[] {
  const dims = [
    postings(snap.byCountry, [ctx.country]),
    postings(snap.byDeviceType, [ctx.deviceType]),
    postings(snap.byOs, [ctx.os]),
    postings(snap.byInventory, [ctx.inventoryType]),
    postings(snap.byDomain, ctx.domains),
    postings(snap.byBundle, [ctx.bundle]),
  ];
  let best = dims[0]!;
  let bestSize = total(best);
  for (const d of dims) {
    const n = total(d);
    if (n < bestSize) {
      best = d;
      bestSize = n;
    }
  }
  const usePostings = path === undefined ? bestSize <= snap.words >>> 1 : path === 'postings';
  return usePostings ? matchByPostings(snap, ctx, nowMs, best) : matchByBits(snap, ctx, nowMs);
}

function matchByPostings(
  snap: CompiledSnapshot,
  ctx: RequestContext,
  nowMs: number,
  lists: readonly (readonly number[])[],
): CompiledLineItem[] {
  const idxs: number[] = [];
  for (const l of lists) for (const i of l) idxs.push(i);
  // `any` and value lists interleave, and parent domains can list a line item twice: sort and
  // skip repeats so results come in index order, as on the bitset path.
  if (lists.length > 1) idxs.sort((a, b) => a - b);
  const out: CompiledLineItem[] = [];
  let prev = -1;
  for (const i of idxs) {
    if (i === prev) continue;
    prev = i;
    const li = snap.lineItems[i]!;
    if (matchesRequest(li, ctx, snap, nowMs)) out.push(li);
  }
  return out;
}

function matchByBits(snap: CompiledSnapshot, ctx: RequestContext, nowMs: number): CompiledLineItem[] {
  const { acc, domain: domainScratch, bundle: bundleScratch, zeros } = snap.scratch;
  const words = snap.words;
  acc.fill(-1);
  // Dimensions no line item constrains accept everything: skip their pass (most requests, most dims).
  const dense = [
    [snap.byCountry, ctx.country],
    [snap.byDeviceType, ctx.deviceType],
    [snap.byOs, ctx.os],
    [snap.byInventory, ctx.inventoryType],
  ] as const;
  for (const [dim, key] of dense) {
    if (dim.lists.size === 0) continue;
    const any = dim.any;
    const val = denseBits(dim as BitDimension<unknown>, key, zeros);
    // Every array has exactly `words` elements, so these loads stay in bounds (and monomorphic).
    for (let w = 0; w < words; w++) acc[w]! &= any[w]! | val[w]!;
  }
  if (snap.byDomain.lists.size > 0) {
    const domain = sparseBits(snap.byDomain, ctx.domains, domainScratch);
    for (let w = 0; w < words; w++) acc[w]! &= domain[w]!;
  }
  if (snap.byBundle.lists.size > 0) {
    const bundle = sparseBits(snap.byBundle, [ctx.bundle], bundleScratch);
    for (let w = 0; w < words; w++) acc[w]! &= bundle[w]!;
  }
  const out: CompiledLineItem[] = [];
  const n = snap.lineItems.length;
  for (let w = 0; w < words; w++) {
    let bits = acc[w]!;
    while (bits !== 0) {
      const low = bits & -bits;
      const idx = (w << 5) + 31 - Math.clz32(low);
      bits ^= low;
      if (idx >= n) break; // padding bits of the last word
      const li = snap.lineItems[idx]!;
      if (matchesRequest(li, ctx, snap, nowMs)) out.push(li);
    }
  }
  return out;
}
