import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.ts';
import { type ProfileEntry, type ProfileStore, parseProfileLine, profileKeyHash } from '../../core/index.ts';
import { BidderErrors } from '../errors.ts';

/** What the profile import route needs. */
export interface ProfilesApiOptions {
  config: Config;
  profiles: ProfileStore | undefined;
}

/** Profiles written per store call: amortises Redis round trips, bounds memory. */
const BATCH = 500;
/** Problems listed in the response; the counts cover the rest. */
const MAX_PROBLEMS = 100;
/** Import bodies are bulk data, larger than bid requests. */
const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Answers 403/401 unless the request carries the admin key; true when it may proceed. */
export function checkAdmin(config: Config, req: FastifyRequest, reply: FastifyReply): boolean {
  if (config.adminKey === undefined) {
    const e = BidderErrors.API_DISABLED;
    void reply
      .code(e.statusCode)
      .send({ error: { code: e.code, message: 'set OUTBID_ADMIN_KEY to enable the admin API' } });
    return false;
  }
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ') || !sameKey(auth.slice(7), config.adminKey)) {
    const e = BidderErrors.API_UNAUTHORIZED;
    void reply
      .code(e.statusCode)
      .send({ error: { code: e.code, message: 'a valid "Authorization: Bearer <key>" is required' } });
    return false;
  }
  return true;
}

/**
 * `POST /api/v1/profiles`: imports user profiles into the configured profile store (embedded or
 * Redis), the same JSONL lines as `outbid profiles import` — one `{"key", "segments", "ttlSec"?}`
 * per line (`application/x-ndjson`), or a JSON array of them. Raw user ids are hashed with
 * PROFILE_SALT before they are stored. Malformed lines are listed with their line numbers and
 * skipped; the rest are written.
 */
export async function profilesApi(app: FastifyInstance, o: ProfilesApiOptions): Promise<void> {
  app.addContentTypeParser(
    ['application/x-ndjson', 'application/jsonl', 'text/plain'],
    { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );
  app.post('/api/v1/profiles', { bodyLimit: IMPORT_BODY_LIMIT }, async (req, reply) => {
    if (!checkAdmin(o.config, req, reply)) return reply;
    const store = o.profiles;
    if (!store) {
      const e = BidderErrors.API_DISABLED;
      return reply
        .code(e.statusCode)
        .send({ error: { code: e.code, message: 'no profile store is configured' } });
    }
    let lines: string[];
    if (typeof req.body === 'string') lines = req.body.split('\n');
    else if (Array.isArray(req.body)) lines = req.body.map((item) => JSON.stringify(item));
    else {
      const e = BidderErrors.API_INVALID_BODY;
      return reply.code(e.statusCode).send({
        error: { code: e.code, message: 'send JSONL (application/x-ndjson) or a JSON array of profiles' },
      });
    }
    const problems: { line: number; problem: string }[] = [];
    let skipped = 0;
    let imported = 0;
    let batch: ProfileEntry[] = [];
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!.trim();
      if (text === '') continue;
      const parsed = parseProfileLine(text, o.config.profileTtlSec);
      if (!parsed.ok) {
        skipped++;
        if (problems.length < MAX_PROBLEMS) problems.push({ line: i + 1, problem: parsed.problem });
        continue;
      }
      batch.push({
        key: profileKeyHash(parsed.rawKey, o.config.profileSalt),
        segments: parsed.segments,
        ttlSec: parsed.ttlSec,
      });
      if (batch.length === BATCH) {
        await store.putMany(batch);
        imported += batch.length;
        batch = [];
      }
    }
    if (batch.length > 0) {
      await store.putMany(batch);
      imported += batch.length;
    }
    return { imported, skipped, problems };
  });
}
