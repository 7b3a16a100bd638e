import { parseArgs } from 'node:util';
import { ConfigError } from '../config/index.ts';

const USAGE = `Usage: outbid <command> [options]

Commands:
  serve     Run the bidder (OpenRTB endpoint, notices, health, metrics).
            Configured by environment variables; see README "Configuration".
  backtest  Replay an auction log through the bidding strategies; one JSON line out.
            outbid backtest --log FILE --episode-auctions N --budget-ratio 1/32 [--train FILE]
            [--strategy max-clicks|mcpc|lin|const|rand]; "outbid backtest" alone lists every option.
  profiles  Import user profiles (JSONL) into the Redis profile store: outbid profiles import FILE [--ttl SEC]
  optimize  Run the optimizer as its own process (REDIS_URL + CLICKHOUSE_URL): outbid optimize [--once]
  simulate  Run a market scenario against a real bidder and the optimizer (and an oracle, and an
            even split): outbid simulate --scenario FILE [--seed N]
  migrate   Apply the ClickHouse DDL (reporting/migrations) to CLICKHOUSE_URL or the embedded engine
            under DATA_DIR: outbid migrate [--cluster NAME] [--dry-run]

Options:
  -h, --help     Show this help
  -v, --version  Show the version
`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
  });
  const command = positionals[0];
  if (values.version) {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    console.log(pkg.version);
    return 0;
  }
  if (values.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !values.help ? 1 : 0;
  }
  switch (command) {
    case 'serve': {
      const { serve } = await import('./serve.ts');
      await serve(process.env);
      return -1; // keeps running until a signal
    }
    case 'backtest': {
      const { backtest } = await import('./backtest.ts');
      return backtest(argv.slice(argv.indexOf('backtest') + 1));
    }
    case 'profiles': {
      const { profiles } = await import('./profiles.ts');
      return profiles(argv.slice(argv.indexOf('profiles') + 1), process.env, {
        stdout: (line) => console.log(line),
        stderr: (line) => console.error(line),
      });
    }
    case 'optimize': {
      const { optimize } = await import('./optimize.ts');
      return optimize(argv.slice(argv.indexOf('optimize') + 1), process.env);
    }
    case 'simulate': {
      const { simulate } = await import('./simulate.ts');
      return simulate(argv.slice(argv.indexOf('simulate') + 1));
    }
    case 'migrate': {
      const { migrateCommand } = await import('../reporting/migrate-command.ts');
      return migrateCommand(argv.slice(argv.indexOf('migrate') + 1), process.env);
    }
    default:
      console.error(`outbid: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) console.error(`outbid: ${err.message}`);
    else console.error('outbid: fatal:', err);
    process.exitCode = 1;
  },
);
