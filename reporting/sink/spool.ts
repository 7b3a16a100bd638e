import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { errorFrom, type OutbidError } from '../../core/index.ts';
import { ReportingErrors } from '../errors.ts';

/**
 * Segment files of batches ClickHouse has not acknowledged yet, under `<DATA_DIR>/spool/`.
 *
 * Format: `seg-<16 digits>.log`, a sequence of records `[u32 LE length][u32 LE crc32][payload]`,
 * payload = the batch as TabSeparated rows after a header line of their column names (earlier
 * versions spooled JSONEachRow, recognised by the `{` of its first row; both replay). A sidecar
 * `seg-….acked` holds the byte offset up to which records were delivered (written without fsync: losing it only replays more, and replays are
 * deduplicated by event_id). A segment is deleted once it is sealed and fully delivered.
 *
 * Fsync policy: every appended record is fdatasync'd before `append` resolves (one record is one
 * batch: ≤ 1 per flush interval, plus group commits for durable events), and the directory is
 * fsync'd when a segment is created so the file itself survives a power cut.
 *
 * Recovery: a last record cut short (crash mid-write) is skipped (SINK_SPOOL_TRUNCATED); a record
 * whose checksum fails but whose length fits is copied to `quarantine/` and skipped
 * (SINK_SPOOL_CORRUPT); the records around it are still delivered.
 */

const HEADER_BYTES = 8;
const SEGMENT = /^seg-(\d{16})\.log$/;

/** A batch in the spool. */
export interface SpoolRecord {
  readonly segment: number;
  /** Offset of the record's header in the segment file. */
  readonly offset: number;
  /** Payload bytes (the header not included). */
  readonly length: number;
}

/** The file operations the spool uses; tests substitute failing ones (ENOSPC, EIO). */
export interface SpoolIo {
  open(path: string, flags: string): Promise<FileHandle>;
  write(fh: FileHandle, data: Buffer, position: number): Promise<void>;
  datasync(fh: FileHandle): Promise<void>;
}

/** Node's own file operations. */
export const nodeSpoolIo: SpoolIo = {
  open: (path, flags) => open(path, flags),
  async write(fh, data, position) {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  },
  datasync: (fh) => fh.datasync(),
};

/** Options of `Spool.open`. */
export interface SpoolOptions {
  /** Start a new segment once the current one reaches this size (default 64 MiB). */
  segmentBytes?: number;
  io?: SpoolIo;
  /** Receives SINK_SPOOL_TRUNCATED / SINK_SPOOL_CORRUPT found during recovery. */
  onError?: (err: OutbidError) => void;
}

interface Segment {
  seq: number;
  path: string;
  /** Bytes of valid records. */
  size: number;
  /** Records appended or recovered and not yet acknowledged. */
  pending: number;
  sealed: boolean;
  fh: FileHandle | undefined;
}

function segmentName(seq: number): string {
  return `seg-${String(seq).padStart(16, '0')}.log`;
}

/** Counters of what recovery found. */
export interface RecoveryReport {
  records: number;
  truncated: number;
  corrupt: number;
}

/** An append-only, checksummed, fsync'd log of batches; see the file comment for the format. */
export class Spool {
  readonly dir: string;
  readonly #io: SpoolIo;
  readonly #segmentBytes: number;
  readonly #segments = new Map<number, Segment>();
  #current: Segment | undefined;
  #nextSeq: number;

  private constructor(dir: string, io: SpoolIo, segmentBytes: number, nextSeq: number) {
    this.dir = dir;
    this.#io = io;
    this.#segmentBytes = segmentBytes;
    this.#nextSeq = nextSeq;
  }

  /**
   * Opens the spool in `dir`, and returns the records left by an earlier process (in order) for
   * replay. Never appends to an old segment: its tail may be torn.
   */
  static async open(
    dir: string,
    options: SpoolOptions = {},
  ): Promise<{ spool: Spool; recovered: SpoolRecord[]; report: RecoveryReport }> {
    await mkdir(join(dir, 'quarantine'), { recursive: true });
    const names = (await readdir(dir)).filter((n) => SEGMENT.test(n)).sort();
    const recovered: SpoolRecord[] = [];
    const report: RecoveryReport = { records: 0, truncated: 0, corrupt: 0 };
    let maxSeq = 0;
    const found: Segment[] = [];
    for (const name of names) {
      const seq = Number(SEGMENT.exec(name)![1]);
      maxSeq = Math.max(maxSeq, seq);
      const path = join(dir, name);
      const bytes = await readFile(path);
      let acked = 0;
      try {
        acked = Number((await readFile(`${path.slice(0, -4)}.acked`, 'utf8')).trim()) || 0;
      } catch {
        // never acknowledged
      }
      const segment: Segment = { seq, path, size: 0, pending: 0, sealed: true, fh: undefined };
      let pos = 0;
      while (pos < bytes.length) {
        if (bytes.length - pos < HEADER_BYTES) {
          report.truncated++;
          options.onError?.(
            errorFrom(ReportingErrors.SINK_SPOOL_TRUNCATED, `${name}: torn header at byte ${pos}, skipped`),
          );
          break;
        }
        const length = bytes.readUInt32LE(pos);
        const sum = bytes.readUInt32LE(pos + 4);
        const end = pos + HEADER_BYTES + length;
        if (end > bytes.length) {
          report.truncated++;
          options.onError?.(
            errorFrom(
              ReportingErrors.SINK_SPOOL_TRUNCATED,
              `${name}: record at byte ${pos} cut short, skipped`,
            ),
          );
          break;
        }
        const payload = bytes.subarray(pos + HEADER_BYTES, end);
        if (crc32(payload) !== sum) {
          report.corrupt++;
          const aside = join(dir, 'quarantine', `${name}.${pos}.bad`);
          await writeFile(aside, bytes.subarray(pos, end));
          options.onError?.(
            errorFrom(
              ReportingErrors.SINK_SPOOL_CORRUPT,
              `${name}: record at byte ${pos} failed its checksum; moved to ${aside}`,
            ),
          );
        } else if (pos >= acked) {
          recovered.push({ segment: seq, offset: pos, length });
          segment.pending++;
          report.records++;
        }
        pos = end;
      }
      segment.size = pos;
      found.push(segment);
    }
    const spool = new Spool(
      dir,
      options.io ?? nodeSpoolIo,
      options.segmentBytes ?? 64 * 1024 * 1024,
      maxSeq + 1,
    );
    for (const segment of found) {
      if (segment.pending === 0) await spool.#remove(segment);
      else spool.#segments.set(segment.seq, segment);
    }
    return { spool, recovered, report };
  }

  async #newSegment(): Promise<Segment> {
    const seq = this.#nextSeq++;
    const path = join(this.dir, segmentName(seq));
    // Read back by the delivery loop, so read-write; 'x' because a sequence number is never reused.
    const fh = await this.#io.open(path, 'wx+');
    // The new directory entry must be durable too, or fsync'd records can vanish with it.
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
    const segment: Segment = { seq, path, size: 0, pending: 0, sealed: false, fh };
    this.#segments.set(seq, segment);
    return segment;
  }

  async #seal(segment: Segment): Promise<void> {
    segment.sealed = true;
    const fh = segment.fh;
    segment.fh = undefined;
    if (this.#current === segment) this.#current = undefined;
    await fh?.close().catch(() => {});
    if (segment.pending === 0) await this.#remove(segment);
  }

  async #remove(segment: Segment): Promise<void> {
    this.#segments.delete(segment.seq);
    await rm(segment.path, { force: true });
    await rm(`${segment.path.slice(0, -4)}.acked`, { force: true });
  }

  /**
   * Appends one batch and fdatasyncs it. On failure (ENOSPC, EIO) the segment is sealed at its last
   * good record, so a torn write can never be followed by good records, and SINK_SPOOL_WRITE is thrown.
   */
  async append(payload: Buffer): Promise<SpoolRecord> {
    let segment = this.#current;
    if (segment !== undefined && segment.size >= this.#segmentBytes) {
      await this.#seal(segment);
      segment = undefined;
    }
    try {
      if (segment === undefined) {
        segment = await this.#newSegment();
        this.#current = segment;
      }
      const header = Buffer.allocUnsafe(HEADER_BYTES);
      header.writeUInt32LE(payload.length, 0);
      header.writeUInt32LE(crc32(payload), 4);
      const offset = segment.size;
      await this.#io.write(segment.fh!, Buffer.concat([header, payload]), offset);
      await this.#io.datasync(segment.fh!);
      segment.size = offset + HEADER_BYTES + payload.length;
      segment.pending++;
      return { segment: segment.seq, offset, length: payload.length };
    } catch (err) {
      if (segment !== undefined) {
        await segment.fh?.truncate(segment.size).catch(() => {});
        await this.#seal(segment);
      }
      throw errorFrom(ReportingErrors.SINK_SPOOL_WRITE, `spool write failed: ${(err as Error).message}`, err);
    }
  }

  /** Reads a record's payload back (the delivery loop keeps positions, not buffers, so memory stays flat). */
  async read(record: SpoolRecord): Promise<Buffer> {
    const segment = this.#segments.get(record.segment);
    const fh = segment?.fh ?? (await open(segment?.path ?? join(this.dir, segmentName(record.segment)), 'r'));
    try {
      const out = Buffer.allocUnsafe(record.length);
      const { bytesRead } = await fh.read(out, 0, record.length, record.offset + HEADER_BYTES);
      if (bytesRead !== record.length) throw new Error(`short read of ${segmentName(record.segment)}`);
      return out;
    } finally {
      if (fh !== segment?.fh) await fh.close();
    }
  }

  /** Marks a record delivered; records must be acknowledged in append order. */
  async ack(record: SpoolRecord): Promise<void> {
    const segment = this.#segments.get(record.segment);
    if (segment === undefined) return;
    segment.pending--;
    if (segment.pending <= 0 && segment.sealed) {
      await this.#remove(segment);
      return;
    }
    const acked = record.offset + HEADER_BYTES + record.length;
    await writeFile(`${segment.path.slice(0, -4)}.acked`, String(acked)).catch(() => {});
  }

  /** Records appended and not acknowledged, across segments. */
  get pendingRecords(): number {
    let n = 0;
    for (const s of this.#segments.values()) n += s.pending;
    return n;
  }

  /** Moves a record ClickHouse keeps rejecting aside, and acknowledges it so delivery moves on. */
  async quarantine(record: SpoolRecord, payload: Buffer): Promise<string> {
    const aside = join(this.dir, 'quarantine', `${segmentName(record.segment)}.${record.offset}.rejected`);
    await writeFile(aside, payload);
    await this.ack(record);
    return aside;
  }

  /** Closes the current segment; fully delivered segments are deleted. */
  async close(): Promise<void> {
    if (this.#current !== undefined) await this.#seal(this.#current);
  }

  /** The file of segment `seq` in `dir` (for tools and tests that inspect the spool). */
  static segmentPath(dir: string, seq: number): string {
    return join(dir, segmentName(seq));
  }
}
