import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIpinyouLog } from './auction-log.ts';
import { backtestCommand } from './backtest-command.ts';
import { meanMarketPrice } from './run-backtest.ts';

let dir: string;
let trainFile: string;
let logFile: string;

/** Runs the command as the CLI does, capturing both streams. */
async function cli(args: string[], isTTY = false) {
  const out: string[] = [];
  let err = '';
  const code = await backtestCommand(args, {
    stdout: (line) => out.push(line),
    stderr: { write: (s: string) => (err += s), isTTY },
  });
  return { code, out, err };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outbid-backtest-'));
  trainFile = join(dir, 'train.txt');
  logFile = join(dir, 'test.txt');
  expect((await cli(['--generate', trainFile, '--auctions', '3000', '--seed', '1'])).code).toBe(0);
  expect(
    (await cli(['--generate', logFile, '--auctions', '5000', '--seed', '2', '--correlation', '0.3'])).code,
  ).toBe(0);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('outbid backtest', () => {
  const base = () => [
    '--log',
    logFile,
    '--train',
    trainFile,
    '--format',
    'ipinyou',
    '--episode-auctions',
    '1000',
  ];

  it('prints one JSON line with the documented fields, the same line on every run', async () => {
    for (const strategy of ['max-clicks', 'rand', 'lin']) {
      const args = [...base(), '--budget-ratio', '1/16', '--strategy', strategy, '--seed', '5'];
      const first = await cli(args);
      const second = await cli(args);
      expect(first.code).toBe(0);
      expect(first.out).toHaveLength(1);
      expect(second.out).toEqual(first.out);
      const summary = JSON.parse(first.out[0]!);
      expect(Object.keys(summary)).toEqual([
        'auctions',
        'impressions',
        'clicks',
        'cost',
        'win_rate',
        'cpm',
        'ecpc',
      ]);
      expect(summary.auctions).toBe(5000);
      expect(summary.win_rate).toBe(summary.impressions / 5000);
    }
  });

  it('reads --budget-ratio as a fraction of N × the training log’s mean market price', async () => {
    const budget = (1 / 16) * 1000 * meanMarketPrice(parseIpinyouLog(await readFile(trainFile, 'utf8')));
    const byRatio = await cli([...base(), '--budget-ratio', '1/16', '--strategy', 'mcpc']);
    const byBudget = await cli([...base(), '--episode-budget', String(budget), '--strategy', 'mcpc']);
    expect(byRatio.out).toEqual(byBudget.out);
  });

  it('draws a progress bar on stderr only when it is a terminal', async () => {
    const args = [...base(), '--budget-ratio', '1/16', '--strategy', 'mcpc'];
    const tty = await cli(args, true);
    const pipe = await cli(args, false);
    expect(tty.err).toContain('100% 5000/5000');
    expect(pipe.err).toBe('');
    expect(tty.out).toEqual(pipe.out);
  });

  it('exits 2 with a catalogued code on bad arguments or logs', async () => {
    const cases: [string[], string][] = [
      [['--log', logFile, '--episode-auctions', '1000'], 'BT_BAD_ARGS'],
      [['--log', logFile, '--episode-auctions', '0', '--episode-budget', '5'], 'BT_BAD_ARGS'],
      [[...base(), '--episode-budget', '5', '--budget-ratio', '1/2'], 'BT_BAD_ARGS'],
      [[...base(), '--episode-budget', '5', '--strategy', 'oracle'], 'BT_BAD_ARGS'],
      [[...base(), '--episode-budget', '5', '--format', 'criteo'], 'BT_BAD_ARGS'],
      [[...base(), '--episode-budget', '5', '--bogus'], 'BT_BAD_ARGS'],
      [['--log', join(dir, 'missing.txt'), '--episode-auctions', '9', '--episode-budget', '5'], 'BT_BAD_LOG'],
      [
        ['--log', logFile, '--episode-auctions', '9', '--episode-budget', '5', '--strategy', 'lin'],
        'BT_TRAIN_REQUIRED',
      ],
    ];
    for (const [args, code] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(`outbid backtest: ${code}:`);
      expect(r.out).toEqual([]);
    }
  });
});
