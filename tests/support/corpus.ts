import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The shared OpenRTB corpus beside the checkout (CI has it at ../shared). */
export const CORPUS_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'openrtb');

/** One body to send, with where it came from. */
export interface CorpusBody {
  source: string;
  body: string;
  /** For prebid-server records: the fixture's label (`valid`, `invalid`, `adapter_rejected`). */
  label?: string;
  role?: string;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Every `request` of prebid-server/bid_requests.jsonl. */
export function prebidServerRequests(): CorpusBody[] {
  const lines = readFileSync(join(CORPUS_DIR, 'prebid-server', 'bid_requests.jsonl'), 'utf8').split('\n');
  return lines
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const rec = JSON.parse(l) as { request: unknown; label: string; role: string; id: string };
      return {
        source: `prebid-server/bid_requests.jsonl:${i + 1} (${rec.id})`,
        body: JSON.stringify(rec.request),
        label: rec.label,
        role: rec.role,
      };
    });
}

/** Every raw body of prebid-server/malformed_raw.jsonl. */
export function malformedBodies(): CorpusBody[] {
  const lines = readFileSync(join(CORPUS_DIR, 'prebid-server', 'malformed_raw.jsonl'), 'utf8').split('\n');
  return lines
    .filter((l) => l.trim() !== '')
    .map((l, i) => ({
      source: `prebid-server/malformed_raw.jsonl:${i + 1}`,
      body: (JSON.parse(l) as { raw: string }).raw,
    }));
}

/** Every `.json` file (verbatim bytes, valid JSON or not) under the given corpus folders. */
export function jsonFiles(...folders: string[]): CorpusBody[] {
  return folders.flatMap((f) =>
    walk(join(CORPUS_DIR, f))
      .filter((p) => p.endsWith('.json'))
      .map((p) => ({ source: relative(CORPUS_DIR, p), body: readFileSync(p, 'utf8') })),
  );
}
