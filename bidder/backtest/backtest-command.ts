import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { OutbidError } from '../../core/index.ts';
import { formatIpinyouLog, LOG_FORMATS, readAuctionLog } from './auction-log.ts';
import { STRATEGY_NAMES, type StrategyName, strategyConfigFor } from './baselines.ts';
import { BacktestErrors, backtestError } from './errors.ts';
import { generateSyntheticLog, type SyntheticTruth } from './generate-log.ts';
import { episodeBudgetFor, runBacktest, summaryOf } from './run-backtest.ts';

/** Usage text of `outbid backtest`. */
export const BACKTEST_USAGE = `Usage:
  outbid backtest --log FILE --episode-auctions N (--episode-budget B | --budget-ratio R)
                  [--format ipinyou] [--train FILE] [--strategy NAME] [--seed S]
                  [--max-bid P] [--bid P] [--first-price] [--no-shading]
  outbid backtest --generate FILE --auctions N [--seed S] [--price-median P] [--price-sigma S]
                  [--ctr-alpha A] [--ctr-beta B] [--correlation R]

Replays logged auctions (ipinyou: "click market_price pctr" per line) through the bidder's
strategies in episodes of N auctions with budget B (log price units), and prints one JSON line:
{"auctions","impressions","clicks","cost","win_rate","cpm","ecpc"} (cpm = cost/impressions).
  --strategy      max-clicks (default) | mcpc | lin | const | rand
  --budget-ratio  B as a fraction (e.g. 1/32) of N × mean market price of --train (else --log)
  --bid           const bid, rand upper bound or lin base bid; tuned on --train when absent
  --max-bid       highest bid, log units (default 300)
--generate writes a synthetic log (log-normal prices, Beta pCTR, Bernoulli clicks) instead.`;

/** Where the command writes: one line to stdout, progress and errors to stderr. */
export interface CommandIo {
  readonly stdout: (line: string) => void;
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean };
}

function num(
  values: Record<string, unknown>,
  name: string,
  check: (x: number) => boolean,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const s = String(raw);
  const slash = s.indexOf('/');
  const x = slash > 0 ? Number(s.slice(0, slash)) / Number(s.slice(slash + 1)) : Number(s);
  if (!Number.isFinite(x) || !check(x))
    throw backtestError(BacktestErrors.BT_BAD_ARGS, `invalid --${name} ${s}`);
  return x;
}

const positive = (x: number) => x > 0;
const positiveInt = (x: number) => Number.isInteger(x) && x > 0;

function progressBar(io: CommandIo, label: string): ((done: number, total: number) => void) | undefined {
  if (!io.stderr.isTTY) return undefined;
  let shown = -1;
  return (done, total) => {
    const pct = Math.floor((100 * done) / total);
    if (pct === shown) return;
    shown = pct;
    const filled = Math.round(pct / 4);
    io.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(25 - filled)}] ${pct}% ${done}/${total}`);
    if (done >= total) io.stderr.write('\n');
  };
}

async function run(argv: string[], io: CommandIo): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        log: { type: 'string' },
        format: { type: 'string', default: 'ipinyou' },
        'episode-auctions': { type: 'string' },
        'episode-budget': { type: 'string' },
        'budget-ratio': { type: 'string' },
        train: { type: 'string' },
        strategy: { type: 'string', default: 'max-clicks' },
        seed: { type: 'string', default: '1' },
        'max-bid': { type: 'string', default: '300' },
        bid: { type: 'string' },
        'first-price': { type: 'boolean' },
        'no-shading': { type: 'boolean' },
        generate: { type: 'string' },
        auctions: { type: 'string' },
        'price-median': { type: 'string' },
        'price-sigma': { type: 'string' },
        'ctr-alpha': { type: 'string' },
        'ctr-beta': { type: 'string' },
        correlation: { type: 'string' },
      },
    }));
  } catch (err) {
    throw backtestError(BacktestErrors.BT_BAD_ARGS, (err as Error).message, err);
  }
  const seed = num(values, 'seed', Number.isInteger)!;

  if (values.generate !== undefined) {
    const auctions = num(values, 'auctions', positiveInt);
    if (auctions === undefined)
      throw backtestError(BacktestErrors.BT_BAD_ARGS, '--generate needs --auctions');
    const truth: { -readonly [K in keyof SyntheticTruth]?: number } = {};
    const set = (key: keyof SyntheticTruth, flag: string, check: (x: number) => boolean) => {
      const v = num(values, flag, check);
      if (v !== undefined) truth[key] = v;
    };
    set('priceMedian', 'price-median', positive);
    set('priceSigma', 'price-sigma', positive);
    set('ctrAlpha', 'ctr-alpha', positive);
    set('ctrBeta', 'ctr-beta', positive);
    set('correlation', 'correlation', (x) => x > -1 && x < 1);
    await writeFile(
      String(values.generate),
      formatIpinyouLog(generateSyntheticLog({ auctions, seed, truth })),
    );
    return;
  }

  if (!(LOG_FORMATS as readonly string[]).includes(String(values.format))) {
    throw backtestError(BacktestErrors.BT_BAD_ARGS, `unknown --format ${values.format}`);
  }
  const name = String(values.strategy);
  if (!(STRATEGY_NAMES as readonly string[]).includes(name)) {
    throw backtestError(BacktestErrors.BT_BAD_ARGS, `unknown --strategy ${name}`);
  }
  if (values.log === undefined) throw backtestError(BacktestErrors.BT_BAD_ARGS, '--log is required');
  const episodeAuctions = num(values, 'episode-auctions', positiveInt);
  if (episodeAuctions === undefined)
    throw backtestError(BacktestErrors.BT_BAD_ARGS, '--episode-auctions is required');
  const givenBudget = num(values, 'episode-budget', (x) => x >= 0);
  const ratio = num(values, 'budget-ratio', positive);
  if ((givenBudget === undefined) === (ratio === undefined)) {
    throw backtestError(
      BacktestErrors.BT_BAD_ARGS,
      'give exactly one of --episode-budget and --budget-ratio',
    );
  }
  const maxBid = num(values, 'max-bid', positive)!;
  const bid = num(values, 'bid', positive);
  const log = await readAuctionLog(String(values.log));
  const train = values.train === undefined ? undefined : await readAuctionLog(String(values.train));
  const episodeBudget = givenBudget ?? episodeBudgetFor(ratio!, episodeAuctions, train ?? log);
  const firstPrice = values['first-price'] === true;
  const strategy = strategyConfigFor(name as StrategyName, {
    train,
    bid,
    maxBid,
    episodeAuctions,
    episodeBudget,
    seed,
    firstPrice,
  });
  const result = runBacktest({
    log,
    train,
    episodeAuctions,
    episodeBudget,
    strategy,
    maxBid,
    seed,
    firstPrice,
    shading: values['no-shading'] !== true,
    ...(io.stderr.isTTY ? { onProgress: progressBar(io, name)! } : {}),
  });
  io.stdout(JSON.stringify(summaryOf(result)));
}

/**
 * `outbid backtest`: parses `argv` (the arguments after the command), runs and prints. Returns
 * the exit code: 0, or 2 after printing a catalogued error. Deterministic for the same files and
 * arguments (seeded RNG, simulated clock), which the tests check by running it twice.
 */
export async function backtestCommand(argv: string[], io: CommandIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(BACKTEST_USAGE);
    return 0;
  }
  try {
    await run(argv, io);
    return 0;
  } catch (err) {
    if (err instanceof OutbidError) {
      io.stderr.write(`outbid backtest: ${err.code}: ${err.message}\n`);
      if (err.code === BacktestErrors.BT_BAD_ARGS.code) io.stderr.write(`\n${BACKTEST_USAGE}\n`);
      return 2;
    }
    throw err;
  }
}
