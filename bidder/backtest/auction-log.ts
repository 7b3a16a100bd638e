import { readFile } from 'node:fs/promises';
import { BacktestErrors, backtestError } from './errors.ts';

/**
 * Logged auctions, one index per auction, in the log's own units: `marketPrice` is the CPM the
 * impression cleared at (iPinYou: RMB fen per mille), `pctr` the model's score, `click` 0/1.
 */
export interface AuctionLog {
  readonly length: number;
  readonly click: Uint8Array;
  readonly marketPrice: Float64Array;
  readonly pctr: Float64Array;
}

/** Log formats `outbid backtest --format` reads. */
export const LOG_FORMATS = ['ipinyou'] as const;

/**
 * Parses the make-ipinyou-data "theta" format: one auction a line, `click market_price pctr`
 * separated by whitespace. Blank lines are skipped; any other malformed line is an error naming it.
 */
export function parseIpinyouLog(text: string, source = 'log'): AuctionLog {
  const click: number[] = [];
  const price: number[] = [];
  const pctr: number[] = [];
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo += 1;
    const line = raw.trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    const c = Number(f[0]);
    const p = Number(f[1]);
    const q = Number(f[2]);
    if (f.length !== 3 || !(c === 0 || c === 1) || !(p >= 0 && Number.isFinite(p)) || !(q >= 0 && q <= 1)) {
      throw backtestError(
        BacktestErrors.BT_BAD_LOG,
        `${source}:${lineNo}: expected "click market_price pctr"`,
      );
    }
    click.push(c);
    price.push(p);
    pctr.push(q);
  }
  if (click.length === 0) throw backtestError(BacktestErrors.BT_BAD_LOG, `${source}: no auctions`);
  return {
    length: click.length,
    click: Uint8Array.from(click),
    marketPrice: Float64Array.from(price),
    pctr: Float64Array.from(pctr),
  };
}

/** Writes a log in the ipinyou theta format (what `parseIpinyouLog` reads back identically). */
export function formatIpinyouLog(log: AuctionLog): string {
  const lines: string[] = [];
  for (let i = 0; i < log.length; i++) lines.push(`${log.click[i]} ${log.marketPrice[i]} ${log.pctr[i]}`);
  return `${lines.join('\n')}\n`;
}

/** Reads and parses a log file. */
export async function readAuctionLog(path: string): Promise<AuctionLog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw backtestError(BacktestErrors.BT_BAD_LOG, `cannot read ${path}`, err);
  }
  return parseIpinyouLog(text, path);
}
