import { type FileHandle, open, readFile, rename } from 'node:fs/promises';
import { StoreError } from './errors.ts';

/** One billed bid as the journal keeps it. */
export interface JournalSettle {
  readonly campaignId: string;
  readonly dayKey: string;
  readonly bidId: string;
  readonly costMicros: number;
  /** Until when a retry of this billing is a duplicate (epoch ms). */
  readonly billedUntilMs: number;
}

/** A budget's spend as of a compaction. */
export interface JournalCampaign {
  readonly campaignId: string;
  readonly spentMicros: number;
  readonly spentByDay: Readonly<Record<string, number>>;
  /** Bid id → until when it is remembered (epoch ms). */
  readonly billed: Readonly<Record<string, number>>;
}

type Line = ({ k: 's' } & JournalSettle) | ({ k: 'c' } & JournalCampaign);

/**
 * The embedded budget store's write-ahead journal (`<DATA_DIR>/budget-journal.jsonl`): spend must
 * survive a restart or a crash of a single-instance deployment as it survives a Redis restart with
 * `appendfsync always`. Every settlement is one JSON line; `append` resolves once its line is on
 * disk (fdatasync), and lines arriving while a write is in flight share the next one (group
 * commit), so a billing acknowledged to the exchange is never lost. Opening replays the file — a
 * torn last line (a crash mid-write) is skipped — and rewrites it compacted (one line per budget,
 * atomically by rename). Leases are not journaled: they belong to the process that held them.
 */
export class BudgetJournal {
  readonly #path: string;
  #file: FileHandle;
  #pending: string[] = [];
  #waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  #writing: Promise<void> | undefined;
  #closed = false;

  private constructor(path: string, file: FileHandle) {
    this.#path = path;
    this.#file = file;
  }

  /**
   * Replays the journal at `path` (missing: empty), hands each record to `replay`, then compacts it
   * to what `snapshot()` returns after the replay.
   */
  static async open(
    path: string,
    replay: (line: Line) => void,
    snapshot: () => JournalCampaign[],
  ): Promise<BudgetJournal> {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new StoreError('STORE_SNAPSHOT_UNREADABLE', `budget journal ${path} cannot be read`, {
          cause: err,
        });
      }
    }
    const lines = text.split('\n');
    lines.forEach((raw, i) => {
      if (raw === '') return;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch (err) {
        // Only the last line can be torn by a crash; anything else is damage we must not paper over.
        if (i === lines.length - 1) return;
        throw new StoreError('STORE_SNAPSHOT_INVALID', `budget journal ${path}: line ${i + 1} is not JSON`, {
          cause: err,
        });
      }
      replay(line);
    });
    const tmp = `${path}.tmp`;
    const compacted = await open(tmp, 'w', 0o600);
    const body = snapshot()
      .map((c) => `${JSON.stringify({ k: 'c', ...c })}\n`)
      .join('');
    await compacted.writeFile(body);
    await compacted.datasync();
    await compacted.close();
    await rename(tmp, path);
    return new BudgetJournal(path, await open(path, 'a', 0o600));
  }

  /** Appends a settlement; resolves once it is on disk. */
  append(settle: JournalSettle): Promise<void> {
    if (this.#closed) return Promise.reject(new StoreError('STORE_CLOSED', 'the budget journal is closed'));
    this.#pending.push(`${JSON.stringify({ k: 's', ...settle })}\n`);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#writing ??= this.#drain();
    return done;
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const lines = this.#pending;
      const waiters = this.#waiters;
      this.#pending = [];
      this.#waiters = [];
      try {
        await this.#file.appendFile(lines.join(''));
        await this.#file.datasync();
        for (const w of waiters) w.resolve();
      } catch (err) {
        // Kept for the next write, so a settlement already counted in memory still reaches the
        // disk; its caller hears of the failure and retries (a retry is answered `duplicate`).
        this.#pending = [...lines, ...this.#pending];
        const failure = new StoreError(
          'STORE_SNAPSHOT_WRITE_FAILED',
          `budget journal ${this.#path}: write failed`,
          { cause: err },
        );
        for (const w of waiters) w.reject(failure);
        this.#writing = undefined;
        return;
      }
    }
    this.#writing = undefined;
  }

  /** Waits for pending writes, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#pending.length > 0) this.#writing ??= this.#drain();
    await this.#writing;
    this.#closed = true;
    await this.#file.close();
  }
}

export type { Line as JournalLine };
