import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../config/index.ts';
import { RedisStateStore } from '../core/store/redis-store.ts';
import { ClickHouseEventSink, openClickHouse } from '../reporting/index.ts';
import { optimizerLoop } from './optimizer-loop.ts';

const USAGE = `usage: outbid optimize [--once]
  Runs the optimizer as its own process (for deployments with several bidder instances): campaigns
  and allocations in Redis (REDIS_URL), statistics from the ClickHouse server (CLICKHOUSE_URL), the
  decision log into ClickHouse. Loops every OPTIMIZER_INTERVAL_SEC; --once runs one cycle and exits
  (0 when the allocation was written, 1 when not).`;

/**
 * `outbid optimize`: the composition root of the standalone optimizer. Needs the shared stores —
 * an embedded state store or chDB lives inside one serve process, where `OPTIMIZER_INTERVAL_SEC`
 * runs the same loop instead.
 */
export async function optimize(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let once = false;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { once: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    once = values.once === true;
  } catch (err) {
    console.error(`outbid optimize: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = loadConfig(env);
  if (config.redisUrl === undefined || config.clickhouseUrl === undefined) {
    console.error(
      'outbid optimize: needs REDIS_URL (campaigns, allocations) and CLICKHOUSE_URL (statistics); without them run the optimizer inside `outbid serve` (OPTIMIZER_INTERVAL_SEC)',
    );
    return 2;
  }
  const log = pino({ level: config.logLevel, base: { service: 'outbid-optimizer' } });
  const store = new RedisStateStore({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    cluster: config.redisCluster,
    onError: (err) => log.error({ err }, 'state store'),
  });
  await store.ready();
  const ch = await openClickHouse({
    url: config.clickhouseUrl,
    user: config.clickhouseUser,
    password: config.clickhousePassword,
    database: config.clickhouseDatabase,
    dataDir: config.dataDir,
  });
  const sink = await ClickHouseEventSink.open({
    ch,
    dataDir: config.dataDir,
    onError: (err) => log.error({ err }, 'decision log'),
  });
  let lastWritten = false;
  const loop = optimizerLoop(
    config,
    store,
    ch,
    (e) => sink.emit(e),
    log,
    (result) => {
      lastWritten = result.written;
    },
  );
  const close = async () => {
    await loop.stop();
    await sink.close();
    await ch.close();
    await store.close();
  };
  if (once) {
    await loop.runOnce();
    await close();
    return lastWritten ? 0 : 1;
  }
  await loop.runOnce();
  loop.start();
  const stop = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return -1;
}
