import { BroadcastChannel, threadId, workerData } from 'node:worker_threads';
import fastJson from 'fast-json-stringify';
import { idGenerator, seededRng, systemClock } from '../../core/index.ts';
import { RedisProfileStore } from '../../core/store/redis-profile-store.ts';
import { BidResponseSchema } from '../../openrtb/index.ts';
import { finishBid, type InvalidBid, type ParsedBid, parseBid } from '../bidding/evaluate-bid.ts';
import { NoticeSigner } from '../notices/notice-signer.ts';
import { lookupProfile } from '../scoring/lookup-profile.ts';
import { StrategyRegistry } from '../strategies/strategy-registry.ts';
import { type CompiledSnapshot, compileSnapshot } from '../targeting/compile-snapshot.ts';
import {
  type BatchTask,
  HELLO,
  type ObservationsMessage,
  type SnapshotMessage,
  type WorkerInit,
  type WorkerResult,
} from './worker-protocol.ts';

/**
 * A scoring worker (piscina): parses, decides and serialises whole batches of raw bid requests.
 * Each thread compiles its own copy of the campaign snapshot from the data broadcast by the main
 * thread, so the bid path never crosses threads for campaign state.
 */
const init = workerData as WorkerInit;
const strategies = new StrategyRegistry({ rng: seededRng(init.seed + threadId) });
const compile = (m: SnapshotMessage) => compileSnapshot(m.data, m.version, { shared: m.scoring, strategies });
let snapshot: CompiledSnapshot | undefined = init.snapshot ? compile(init.snapshot) : undefined;
const channel = new BroadcastChannel(init.channel);
channel.onmessage = (event: unknown) => {
  const msg = (event as { data: SnapshotMessage | ObservationsMessage | typeof HELLO }).data;
  if (msg === HELLO) return; // another worker's hello, for the main thread
  if ('observations' in msg) {
    for (const { lineItemId, outcome } of msg.observations) strategies.observe(lineItemId, outcome);
    return;
  }
  if (!snapshot || msg.version > snapshot.version) snapshot = compile(msg);
};
channel.postMessage(HELLO);
// The channel must not keep an idle thread alive at shutdown.
(channel as unknown as { unref(): void }).unref();

const signer = new NoticeSigner(init.secret);
const rng = seededRng(init.seed + threadId);
const nextId = idGenerator(`${init.idPrefix}${threadId.toString(36)}.`);
const serialize = fastJson(BidResponseSchema as object);

const profiles = init.redis
  ? new RedisProfileStore({
      url: init.redis.url,
      prefix: init.redis.prefix,
      cluster: init.redis.cluster === true,
      onError: () => undefined,
    })
  : undefined;

/**
 * Evaluates every request of a batch, in order. With a profile store, all of the batch's lookups
 * go out together (ioredis sends them in one write) before any request is decided.
 */
export default async function evaluateBatch(task: BatchTask): Promise<WorkerResult[]> {
  const parsed: (ParsedBid | InvalidBid)[] = [];
  let start = 0;
  for (const end of task.ends) {
    parsed.push(
      parseBid(
        task.bytes.subarray(start, end),
        init.config,
        profiles !== undefined || snapshot?.frequencyCapped === true,
      ),
    );
    start = end;
  }
  const lookups = profiles
    ? await Promise.all(
        parsed.map((p) =>
          p.kind === 'parsed' && p.user.profileKeys.length > 0
            ? lookupProfile(profiles, p.user.profileKeys, init.config.profileTimeoutMs)
            : undefined,
        ),
      )
    : [];
  const out: WorkerResult[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const p = parsed[i]!;
    if (p.kind === 'invalid') {
      out.push(p);
      continue;
    }
    const receivedAt = task.receivedAt[i]!;
    const lookup = lookups[i];
    const r = finishBid(
      p,
      task.exchanges[i]!,
      {
        config: init.config,
        snapshot,
        signer,
        nextId,
        rng,
        nowMs: systemClock.now(),
        isLate: (budgetMs) => systemClock.monotonic() - receivedAt >= budgetMs,
      },
      lookup?.profile,
    );
    const profile = lookup?.result;
    if (r.kind === 'bid') {
      out.push({
        kind: 'bid',
        requestId: r.requestId,
        json: serialize(r.response),
        events: r.events,
        mtypes: r.mtypes,
        budgetMs: r.budgetMs,
        tickets: r.tickets,
        userKey: r.userKey,
        profile,
      });
    } else out.push({ ...r, profile });
  }
  return out;
}
