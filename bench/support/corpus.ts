import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The shared OpenRTB corpus beside the checkout (`../shared/openrtb`). */
export const CORPUS_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'openrtb');

/**
 * Bodies of the prebid-server records an exchange actually sends a bidder (`outgoing_to_bidder`),
 * minus those the fixtures expect to be rejected: the most representative traffic in the corpus.
 */
export function exchangeRequestBodies(): string[] {
  const text = readFileSync(join(CORPUS_DIR, 'prebid-server', 'bid_requests.jsonl'), 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const rec = JSON.parse(line) as { request: unknown; label: string; role: string };
    if (rec.role === 'outgoing_to_bidder' && rec.label !== 'invalid') out.push(JSON.stringify(rec.request));
  }
  return out;
}

/** The representative banner request (bench/bidder/fixtures/banner.json), compact JSON. */
export function bannerRequestBody(): string {
  const text = readFileSync(join(import.meta.dirname, '..', 'bidder', 'fixtures', 'banner.json'), 'utf8');
  return JSON.stringify(JSON.parse(text));
}

/**
 * `count` copies of the banner fixture, each with its own `user.id` and `user.buyeruid` (same
 * lengths, so the bodies stay 2.7 KB): frequency caps count per user, and one user for every
 * request would measure one ever-growing hold list instead of a cap check.
 */
export function bannerRequestBodiesPerUser(count: number): string[] {
  const base = JSON.parse(bannerRequestBody()) as { user: { id: string; buyeruid: string } };
  return Array.from({ length: count }, (_, i) => {
    const tag = i.toString(36).padStart(8, '0');
    base.user.id = `${base.user.id.slice(0, -8)}${tag}`;
    base.user.buyeruid = `${base.user.buyeruid.slice(0, -8)}${tag}`;
    return JSON.stringify(base);
  });
}
