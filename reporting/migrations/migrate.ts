import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, errorFrom } from '../../core/index.ts';
import type { ClickHouse } from '../clickhouse/clickhouse.ts';
import { ReportingErrors } from '../errors.ts';

/** A numbered DDL file `NNN_name.sql`. */
export interface MigrationFile {
  version: number;
  name: string;
  /** SHA-256 of the file's bytes, hex. */
  checksum: string;
  sql: string;
}

/** How `migrate` runs. */
export interface MigrateOptions {
  /** Stamps `applied_at`. */
  clock: Clock;
  /** Generate `ON CLUSTER` + Replicated*MergeTree + Distributed DDL for this cluster. */
  cluster?: string;
  /** Folder of `NNN_name.sql` files (default: this folder). */
  dir?: string;
}

/** What one `migrate` run did. */
export interface MigrateResult {
  /** Files applied by this run, in order. */
  applied: MigrationFile[];
  /** Files found already applied (same checksum). */
  alreadyApplied: number;
}

const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** This folder: the migrations that ship with the code. */
export const MIGRATIONS_DIR = import.meta.dirname;

/** Reads and orders `NNN_name.sql` files; anything else ending in .sql is an error, not silently skipped. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  const files: MigrationFile[] = [];
  const seen = new Set<number>();
  for (const entry of readdirSync(dir).sort()) {
    if (!entry.endsWith('.sql')) continue;
    const m = FILE_NAME.exec(entry);
    if (m === null) {
      throw errorFrom(ReportingErrors.CH_MIGRATION_INVALID, `migration file ${entry} is not NNN_name.sql`);
    }
    const version = Number(m[1]);
    if (seen.has(version)) {
      throw errorFrom(ReportingErrors.CH_MIGRATION_INVALID, `migration version ${m[1]} appears twice`);
    }
    seen.add(version);
    const bytes = readFileSync(join(dir, entry));
    files.push({
      version,
      name: m[2]!,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      sql: bytes.toString('utf8'),
    });
  }
  return files;
}

interface Statement {
  sql: string;
  /** From a `-- cluster-shard-key: expr` line before the statement. */
  shardKey: string | undefined;
}

/** Splits a file on `;` at line ends; our DDL has no semicolons inside literals. */
function splitStatements(sql: string): Statement[] {
  const out: Statement[] = [];
  for (const chunk of sql.split(/;\s*(?:\n|$)/)) {
    let shardKey: string | undefined;
    const body: string[] = [];
    for (const line of chunk.split('\n')) {
      const trimmed = line.trim();
      const key = /^--\s*cluster-shard-key:\s*(.+)$/.exec(trimmed);
      if (key !== null) shardKey = key[1]!.trim();
      else if (trimmed.startsWith('--') || trimmed === '') continue;
      else body.push(line);
    }
    if (body.length > 0) out.push({ sql: body.join('\n').trim(), shardKey });
  }
  return out;
}

const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+)\s*\(/;
/** `ALTER TABLE t [ON CLUSTER c] ADD COLUMN IF NOT EXISTS col Type`: 18.16 lacks the IF NOT EXISTS, so `migrate` checks system.columns itself. */
const ADD_COLUMN = /^ALTER TABLE (\w+)( ON CLUSTER \w+)? ADD COLUMN IF NOT EXISTS (\w+) ([\s\S]+)$/;
const CREATE_MV = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\b/;
const ENGINE = /ENGINE = (Replacing|Summing|Aggregating|Collapsing)?MergeTree(?:\(([^)]*)\))?/;

/** Cluster context: tables seen so far become `<name>_local` wherever a later statement reads them. */
interface ClusterContext {
  cluster: string;
  database: string;
  tables: Set<string>;
}

function clusterStatements(stmt: Statement, ctx: ClusterContext): string[] {
  const { cluster, database } = ctx;
  const table = CREATE_TABLE.exec(stmt.sql);
  if (table !== null) {
    const name = table[1]!;
    const local = `${name}_local`;
    const engine = ENGINE.exec(stmt.sql);
    if (engine === null) {
      throw errorFrom(
        ReportingErrors.CH_MIGRATION_INVALID,
        `table ${name} has no MergeTree engine to replicate`,
      );
    }
    const args = [`'/clickhouse/tables/{shard}/${database}/${local}'`, `'{replica}'`];
    if (engine[2] !== undefined && engine[2].trim() !== '') args.push(engine[2].trim());
    const localSql = stmt.sql
      .replace(CREATE_TABLE, `CREATE TABLE IF NOT EXISTS ${local} ON CLUSTER ${cluster}\n(`)
      .replace(ENGINE, `ENGINE = Replicated${engine[1] ?? ''}MergeTree(${args.join(', ')})`);
    ctx.tables.add(name);
    // Copies of one event_id must land on one shard, or ReplacingMergeTree can never merge them.
    const shardKey = stmt.shardKey ?? 'rand()';
    const distributed =
      `CREATE TABLE IF NOT EXISTS ${name} ON CLUSTER ${cluster} AS ${local}\n` +
      `ENGINE = Distributed(${cluster}, ${database}, ${local}, ${shardKey})`;
    return [localSql, distributed];
  }
  const mv = CREATE_MV.exec(stmt.sql);
  if (mv !== null) {
    const [, name, target] = mv;
    // A view fires on the inserts of the shard-local table, and writes to the local target.
    let sql = stmt.sql.replace(
      CREATE_MV,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} ON CLUSTER ${cluster} TO ${target}_local AS`,
    );
    sql = sql.replace(/\bFROM (\w+)/g, (m, source: string) =>
      ctx.tables.has(source) ? `FROM ${source}_local` : m,
    );
    return [sql];
  }
  const add = ADD_COLUMN.exec(stmt.sql);
  if (add !== null && add[2] === undefined && ctx.tables.has(add[1]!)) {
    // The column goes on the shard-local table and on the Distributed table over it.
    const [, name, , column, type] = add;
    return [
      `ALTER TABLE ${name}_local ON CLUSTER ${cluster} ADD COLUMN IF NOT EXISTS ${column} ${type}`,
      `ALTER TABLE ${name} ON CLUSTER ${cluster} ADD COLUMN IF NOT EXISTS ${column} ${type}`,
    ];
  }
  throw errorFrom(
    ReportingErrors.CH_MIGRATION_INVALID,
    `cannot generate cluster DDL for: ${stmt.sql.slice(0, 60)} (only CREATE TABLE / MATERIALIZED VIEW IF NOT EXISTS, ALTER TABLE … ADD COLUMN IF NOT EXISTS)`,
  );
}

const SCHEMA_MIGRATIONS_SQL = `CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime
)
ENGINE = MergeTree
ORDER BY version`;

/**
 * The statements `migrate` runs for `files`, in order, keyed by file version (0 = the
 * schema_migrations table itself). Exported so the cluster variant can be checked as text.
 */
export function planMigrations(
  files: readonly MigrationFile[],
  options: { cluster?: string; database: string },
): { version: number; statements: string[] }[] {
  const plan: { version: number; statements: string[] }[] = [];
  const ctx: ClusterContext | undefined =
    options.cluster === undefined
      ? undefined
      : { cluster: options.cluster, database: options.database, tables: new Set() };
  const render = (stmt: Statement) => (ctx === undefined ? [stmt.sql] : clusterStatements(stmt, ctx));
  plan.push({ version: 0, statements: render({ sql: SCHEMA_MIGRATIONS_SQL, shardKey: 'version' }) });
  for (const file of files) {
    plan.push({ version: file.version, statements: splitStatements(file.sql).flatMap(render) });
  }
  return plan;
}

/** Runs one planned statement; an ADD COLUMN IF NOT EXISTS runs without the clause, and only when the column is missing. */
async function execStatement(ch: ClickHouse, sql: string): Promise<void> {
  const add = ADD_COLUMN.exec(sql);
  if (add === null) return ch.exec(sql);
  const [, table, onCluster, column, type] = add;
  const [found] = await ch.query<{ n: number }>(
    'SELECT count() AS n FROM system.columns WHERE database = {db:String} AND table = {table:String} AND name = {column:String}',
    { db: ch.database, table: table!, column: column! },
  );
  if (Number(found?.n ?? 0) > 0) return;
  await ch.exec(`ALTER TABLE ${table}${onCluster ?? ''} ADD COLUMN ${column} ${type}`);
}

/**
 * Applies the numbered migrations not yet recorded in schema_migrations, in order. Re-running is a
 * no-op; an applied file whose checksum changed is CH_MIGRATION_CHANGED (nothing is applied then).
 * Statements are `IF NOT EXISTS`, so a run that died halfway through a file is safe to repeat.
 * Not safe for two runners at once: run `outbid migrate` from one place (deploy step).
 */
export async function migrate(ch: ClickHouse, options: MigrateOptions): Promise<MigrateResult> {
  const files = loadMigrations(options.dir);
  const plan = planMigrations(files, {
    database: ch.database,
    ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
  });
  for (const sql of plan[0]!.statements) await ch.exec(sql);
  const rows = await ch.query<{ version: number; name: string; checksum: string }>(
    'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
  );
  const applied = new Map(rows.map((r) => [Number(r.version), r]));
  for (const file of files) {
    const row = applied.get(file.version);
    if (row !== undefined && row.checksum !== file.checksum) {
      throw errorFrom(
        ReportingErrors.CH_MIGRATION_CHANGED,
        `migration ${String(file.version).padStart(3, '0')}_${file.name}.sql changed after it was applied ` +
          `(checksum ${file.checksum.slice(0, 12)}… vs recorded ${row.checksum.slice(0, 12)}…); add a new migration instead`,
      );
    }
  }
  const result: MigrateResult = { applied: [], alreadyApplied: 0 };
  for (const file of files) {
    if (applied.has(file.version)) {
      result.alreadyApplied++;
      continue;
    }
    const step = plan.find((p) => p.version === file.version)!;
    for (const sql of step.statements) await execStatement(ch, sql);
    await ch.insert('schema_migrations', [
      {
        version: file.version,
        name: file.name,
        checksum: file.checksum,
        applied_at: Math.floor(options.clock.now() / 1000),
      },
    ]);
    result.applied.push(file);
  }
  return result;
}
