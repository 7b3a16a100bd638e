import { backtestCommand } from '../bidder/backtest/index.ts';

/** `outbid backtest`: offline replay through the bidder's strategies; resolves to the exit code. */
export function backtest(argv: string[]): Promise<number> {
  return backtestCommand(argv, {
    stdout: (line) => {
      process.stdout.write(`${line}\n`);
    },
    stderr: process.stderr,
  });
}
