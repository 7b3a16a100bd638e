import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.ts';
import { isTtl, MAX_TTL_SEC, type ProfileEntry, parseProfileLine, profileKeyHash } from '../core/index.ts';
import { RedisProfileStore } from '../core/store/redis-profile-store.ts';

/** Usage of `outbid profiles`. */
export const PROFILES_USAGE = `Usage: outbid profiles import FILE [--ttl SEC]

Imports user profiles from a JSONL file into the Redis profile store (REDIS_URL, REDIS_PREFIX, REDIS_CLUSTER).
One profile per line:
  {"key": "<raw user id: buyeruid, user.id or IFA>", "segments": [{"id": "crm:gold", "value": "0.7"}], "ttlSec": 86400}
Keys are hashed with PROFILE_SALT (the bidders must use the same salt); "value" and "ttlSec" are
optional. --ttl overrides PROFILE_TTL_SEC as the default TTL. Malformed lines are reported on
stderr with their line number and skipped; a summary JSON line goes to stdout. Exit code 0 when
every line was imported, 1 when some were skipped or the import stopped, 2 for usage errors.`;

export { type ProfileLine, parseProfileLine } from '../core/index.ts';

/** Where the command writes: one call per line. */
export interface ProfilesIo {
  stdout(line: string): void;
  stderr(line: string): void;
}

/** Profiles written per pipeline: big enough to amortise the round trip, small enough to bound memory. */
const BATCH = 500;

/** `outbid profiles …`; returns the exit code. */
export async function profiles(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: ProfilesIo,
): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    io.stderr(`outbid profiles: ${(err as Error).message}\n\n${PROFILES_USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (values.help === true) {
    io.stdout(PROFILES_USAGE);
    return 0;
  }
  const [sub, file, ...extra] = positionals;
  if (sub !== 'import' || file === undefined || extra.length > 0) {
    io.stderr(`outbid profiles: expected "import FILE"\n\n${PROFILES_USAGE}`);
    return 2;
  }
  const config = loadConfig(env);
  let defaultTtlSec = config.profileTtlSec;
  if (values.ttl !== undefined) {
    const ttl = Number(values.ttl);
    if (!isTtl(ttl)) {
      io.stderr(`outbid profiles: --ttl must be an integer from 1 to ${MAX_TTL_SEC} (got ${values.ttl})`);
      return 2;
    }
    defaultTtlSec = ttl;
  }
  if (config.redisUrl === undefined) {
    // The embedded profile store is memory inside `outbid serve`: a separate import process
    // cannot reach it, and writing a file nobody reads would look like success.
    io.stderr(
      'outbid profiles: REDIS_URL is not set. Imported profiles go to the Redis profile store that bidders read; ' +
        'the embedded profile store lives inside the `outbid serve` process and cannot be written from outside. ' +
        'Set REDIS_URL (and the same REDIS_PREFIX, REDIS_CLUSTER and PROFILE_SALT as the bidders).',
    );
    return 2;
  }
  const store = new RedisProfileStore({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    cluster: config.redisCluster,
    onError: (err) => io.stderr(`outbid profiles: ${err.code}: ${err.message}`),
  });
  const summary = { file, lines: 0, imported: 0, malformed: 0, defaultTtlSec };
  let batch: ProfileEntry[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await store.putMany(batch);
    summary.imported += batch.length;
    batch = [];
  };
  try {
    await store.ready();
    const lines = createInterface({
      input: createReadStream(file, 'utf8'),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const text of lines) {
      summary.lines += 1;
      if (text.trim() === '') continue;
      const line = parseProfileLine(text, defaultTtlSec);
      if (!line.ok) {
        summary.malformed += 1;
        io.stderr(`${file}:${summary.lines}: ${line.problem}`);
        continue;
      }
      batch.push({
        key: profileKeyHash(line.rawKey, config.profileSalt),
        segments: line.segments,
        ttlSec: line.ttlSec,
      });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    io.stderr(
      `outbid profiles: import stopped: ${typeof code === 'string' ? `${code}: ` : ''}${(err as Error).message}`,
    );
    io.stdout(JSON.stringify({ ...summary, stopped: true }));
    return 1;
  } finally {
    await store.close();
  }
  io.stdout(JSON.stringify(summary));
  return summary.malformed > 0 ? 1 : 0;
}

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { ttl: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
}
