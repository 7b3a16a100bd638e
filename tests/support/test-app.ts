import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Bidder, buildApp } from '../../bidder/index.ts';
import { loadConfig } from '../../config/index.ts';
import { type CampaignData, type Clock, idGenerator, ManualClock, seededRng } from '../../core/index.ts';
import { MemoryStateStore } from '../../core/store/memory-store.ts';
import { MemoryEventSink } from '../../reporting/index.ts';

/** The demo campaigns shipped in config/demo-data.json. */
export function demoData(): CampaignData {
  return JSON.parse(
    readFileSync(join(import.meta.dirname, '..', '..', 'config', 'demo-data.json'), 'utf8'),
  ) as CampaignData;
}

/** Secret used by test apps. */
export const TEST_SECRET = 'test-secret-test-secret-test-secret';

/** A bidder app on an in-memory store, with an injected clock, seeded RNG and in-memory sink. */
export async function testApp(
  opts: { env?: Record<string, string>; data?: CampaignData; clock?: Clock; now?: string } = {},
): Promise<Bidder & { sink: MemoryEventSink; store: MemoryStateStore; clock: Clock }> {
  const store = new MemoryStateStore();
  await store.ready();
  await store.replaceAll(opts.data ?? demoData());
  const sink = new MemoryEventSink();
  const clock = opts.clock ?? new ManualClock(Date.parse(opts.now ?? '2026-11-22T12:00:00Z'));
  const bidder = await buildApp({
    config: loadConfig({ LOG_LEVEL: 'silent', PUBLIC_URL: 'https://bidder.test', ...opts.env }),
    store,
    sink,
    clock,
    rng: seededRng(1),
    secret: TEST_SECRET,
    nextId: idGenerator('t-'),
  });
  return { ...bidder, sink, store, clock };
}
