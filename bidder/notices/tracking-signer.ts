import { createHash, timingSafeEqual } from 'node:crypto';
import type { NoticeSigner } from './notice-signer.ts';

/** What an impression pixel or click URL carries; the signature covers all of it (and the landing URL on clicks). */
export interface TrackingFields {
  /** Our bid id: one impression per bid. */
  bid: string;
  imp: string;
  li: string;
  c: string;
  cr: string;
  /** The exchange the bid went to. */
  x: string;
  /** When the bid was made, epoch ms. */
  ts: number;
  /** The user key (`profileKeyHash` of the user's id), '' when unknown or opted out. */
  u: string;
  /** The audience segment the bid was for (`targeting.segments`), '' when none. */
  sg: string;
}

const FIELDS = ['bid', 'imp', 'li', 'c', 'cr', 'x', 'ts', 'u'] as const;

function message(f: TrackingFields, urlDigest: string): string {
  // \x1f separates fields so ("a","bc") and ("ab","c") sign differently.
  // A segment is signed only when there is one, so URLs without it verify as before segments existed.
  return `${f.bid}\x1f${f.imp}\x1f${f.li}\x1f${f.c}\x1f${f.cr}\x1f${f.x}\x1f${f.ts}\x1f${f.u}\x1f${urlDigest}${f.sg === '' ? '' : `\x1fsg\x1f${f.sg}`}`;
}

function fieldsQuery(f: TrackingFields): string {
  return (
    `bid=${encodeURIComponent(f.bid)}&imp=${encodeURIComponent(f.imp)}&li=${encodeURIComponent(f.li)}` +
    `&c=${encodeURIComponent(f.c)}&cr=${encodeURIComponent(f.cr)}&x=${encodeURIComponent(f.x)}&ts=${f.ts}` +
    `&u=${encodeURIComponent(f.u)}${f.sg === '' ? '' : `&sg=${encodeURIComponent(f.sg)}`}`
  );
}

/** SHA-256 of a landing URL (first 16 bytes, base64url). */
function digestOf(url: string): string {
  return createHash('sha256').update(url).digest().subarray(0, 16).toString('base64url');
}

/**
 * Landing URL → [its digest, its query encoding], per creative URL rather than per bid: a few
 * distinct URLs serve millions of bids. Bounded: cleared when it reaches 10,000 entries.
 */
const landingCache = new Map<string, readonly [string, string]>();
function landing(url: string): readonly [string, string] {
  let hit = landingCache.get(url);
  if (hit === undefined) {
    if (landingCache.size >= 10_000) landingCache.clear();
    hit = [digestOf(url), encodeURIComponent(url)];
    landingCache.set(url, hit);
  }
  return hit;
}

/**
 * The queries (without `?`) of a bid's impression pixel and click URL, under ONE signature
 * (purpose `track`, so neither passes for a notice): it covers the fields and the digest of the
 * landing URL. The pixel carries the digest (`ud`), the click the URL itself, whose digest the
 * click route recomputes, so a click URL can only ever redirect to the landing page it was made
 * for. One HMAC per bid instead of two (bench/reporting/tracking-urls.bench.ts).
 */
export function trackingQueries(
  signer: NoticeSigner,
  f: TrackingFields,
  landingUrl: string,
): { impression: string; click: string } {
  const [digest, encoded] = landing(landingUrl);
  const base = fieldsQuery(f);
  const sig = signer.tag('track', message(f, digest));
  return { impression: `${base}&ud=${digest}&sig=${sig}`, click: `${base}&url=${encoded}&sig=${sig}` };
}

function sameTag(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The fields of a tracking query when its signature is valid for `kind`, else undefined. A click
 * also returns its landing URL, which must be http(s).
 */
export function verifyTracking(
  signer: NoticeSigner,
  kind: 'imp' | 'click',
  q: Readonly<Record<string, unknown>>,
): { fields: TrackingFields; url: string | undefined } | undefined {
  for (const k of FIELDS) if (typeof q[k] !== 'string') return undefined;
  if (typeof q.sig !== 'string') return undefined;
  if (q.sg !== undefined && typeof q.sg !== 'string') return undefined;
  const ts = Number(q.ts);
  if (!Number.isSafeInteger(ts) || ts < 0) return undefined;
  const fields: TrackingFields = {
    bid: q.bid as string,
    imp: q.imp as string,
    li: q.li as string,
    c: q.c as string,
    cr: q.cr as string,
    x: q.x as string,
    ts,
    u: q.u as string,
    sg: (q.sg as string | undefined) ?? '',
  };
  let url: string | undefined;
  let digest: string;
  if (kind === 'click') {
    if (typeof q.url !== 'string' || !/^https?:\/\//i.test(q.url)) return undefined;
    url = q.url;
    digest = digestOf(url);
  } else {
    if (typeof q.ud !== 'string') return undefined;
    digest = q.ud;
  }
  return sameTag(q.sig, signer.tag('track', message(fields, digest))) ? { fields, url } : undefined;
}
