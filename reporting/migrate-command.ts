import { join } from 'node:path';
import { OutbidError, systemClock } from '../core/index.ts';
import type { ClickHouse } from './clickhouse/clickhouse.ts';
import { openEmbeddedClickHouse } from './clickhouse/embedded-clickhouse.ts';
import { connectServerClickHouse } from './clickhouse/server-clickhouse.ts';
import { loadMigrations, migrate, planMigrations } from './migrations/migrate.ts';

/** Where `migrateCommand` writes; the CLI passes stdout/stderr. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

const USAGE = `usage: outbid migrate [--cluster <name>] [--dry-run]
  Applies reporting/migrations/NNN_*.sql to ClickHouse: the server at CLICKHOUSE_URL
  (CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE), else the embedded engine under
  DATA_DIR/clickhouse (DATA_DIR defaults to ./data).
  --cluster <name>  ON CLUSTER DDL with ReplicatedMergeTree + Distributed tables
  --dry-run         print the statements instead of running them
`;

interface Args {
  cluster: string | undefined;
  dryRun: boolean;
  help: boolean;
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { cluster: undefined, dryRun: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--dry-run') args.dryRun = true;
    else if (a === '--help' || a === '-h') args.help = true;
    else if (a === '--cluster' || a.startsWith('--cluster=')) {
      const value = a === '--cluster' ? argv[++i] : a.slice('--cluster='.length);
      if (value === undefined || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value))
        return `--cluster needs a cluster name`;
      args.cluster = value;
    } else return `unknown argument ${a}`;
  }
  return args;
}

/**
 * `outbid migrate`: applies the numbered migrations and prints what it applied. Returns the exit
 * code: 0 done (or nothing to do), 1 ClickHouse or migration error (its CH_* code printed), 2 usage.
 */
export async function migrateCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIo = processIo,
): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.err(`${args}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const url = env.CLICKHOUSE_URL;
  const database = env.CLICKHOUSE_DATABASE || 'outbid';
  const target =
    url !== undefined && url !== ''
      ? `${url.replace(/\/\/[^@/]*@/, '//')} database ${database}`
      : `embedded ${join(env.DATA_DIR || './data', 'clickhouse')} database ${database}`;
  const cluster = args.cluster === undefined ? {} : { cluster: args.cluster };
  if (args.dryRun) {
    for (const step of planMigrations(loadMigrations(), { database, ...cluster })) {
      for (const sql of step.statements) io.out(`${sql};\n\n`);
    }
    return 0;
  }
  let ch: ClickHouse | undefined;
  try {
    ch =
      url !== undefined && url !== ''
        ? await connectServerClickHouse({
            url,
            database,
            ...(env.CLICKHOUSE_USER ? { username: env.CLICKHOUSE_USER } : {}),
            ...(env.CLICKHOUSE_PASSWORD ? { password: env.CLICKHOUSE_PASSWORD } : {}),
          })
        : await openEmbeddedClickHouse({ dataDir: join(env.DATA_DIR || './data', 'clickhouse'), database });
    const result = await migrate(ch, { clock: systemClock, ...cluster });
    for (const m of result.applied) {
      io.out(`applied ${String(m.version).padStart(3, '0')}_${m.name}.sql\n`);
    }
    io.out(
      result.applied.length === 0
        ? `${target}: up to date (${result.alreadyApplied} migrations applied earlier)\n`
        : `${target}: applied ${result.applied.length}, ${result.alreadyApplied} were already applied\n`,
    );
    return 0;
  } catch (err) {
    const code = err instanceof OutbidError ? err.code : 'INTERNAL';
    io.err(`migrate failed (${code}) on ${target}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await ch?.close();
  }
}
