import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutbidError } from '../../core/index.ts';
import { nodeSpoolIo, Spool, type SpoolIo } from './spool.ts';

const batch = (n: number) => Buffer.from(`{"event_id":"e${n}"}\n`);

async function readAll(spool: Spool, records: Awaited<ReturnType<typeof Spool.open>>['recovered']) {
  const out: string[] = [];
  for (const r of records) out.push((await spool.read(r)).toString());
  return out;
}

describe('Spool', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbid-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replays unacknowledged records in order after a restart, and deletes delivered sealed segments', async () => {
    const { spool } = await Spool.open(dir, { segmentBytes: 40 });
    const records = [];
    for (let i = 1; i <= 4; i++) records.push(await spool.append(batch(i)));
    // 40-byte segments hold two 8 + 15 byte records each.
    expect(records.map((r) => r.segment)).toEqual([1, 1, 2, 2]);
    await spool.ack(records[0]!);
    await spool.ack(records[1]!);
    expect(readdirSync(dir).filter((n) => n.endsWith('.log'))).toEqual(['seg-0000000000000002.log']);
    await spool.ack(records[2]!);
    await spool.close();

    const reopened = await Spool.open(dir);
    expect(await readAll(reopened.spool, reopened.recovered)).toEqual([batch(4).toString()]);
    expect(reopened.report).toEqual({ records: 1, truncated: 0, corrupt: 0 });
    await reopened.spool.ack(reopened.recovered[0]!);
    expect(readdirSync(dir).filter((n) => n.endsWith('.log'))).toEqual([]);
  });

  it('skips a record cut short by a crash and reports SINK_SPOOL_TRUNCATED', async () => {
    const { spool } = await Spool.open(dir);
    for (let i = 1; i <= 3; i++) await spool.append(batch(i));
    const path = Spool.segmentPath(dir, 1);
    truncateSync(path, statSync(path).size - 3);
    const errors: OutbidError[] = [];
    const reopened = await Spool.open(dir, { onError: (e) => errors.push(e) });
    expect(await readAll(reopened.spool, reopened.recovered)).toEqual([
      batch(1).toString(),
      batch(2).toString(),
    ]);
    expect(reopened.report).toEqual({ records: 2, truncated: 1, corrupt: 0 });
    expect(errors.map((e) => e.code)).toEqual(['SINK_SPOOL_TRUNCATED']);
  });

  it('quarantines a corrupt record in the middle, reports SINK_SPOOL_CORRUPT, and keeps the others', async () => {
    const { spool } = await Spool.open(dir);
    const records = [];
    for (let i = 1; i <= 3; i++) records.push(await spool.append(batch(i)));
    const path = Spool.segmentPath(dir, 1);
    const bytes = readFileSync(path);
    const at = records[1]!.offset + 8 + 3;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(path, bytes);
    const errors: OutbidError[] = [];
    const reopened = await Spool.open(dir, { onError: (e) => errors.push(e) });
    expect(await readAll(reopened.spool, reopened.recovered)).toEqual([
      batch(1).toString(),
      batch(3).toString(),
    ]);
    expect(reopened.report).toEqual({ records: 2, truncated: 0, corrupt: 1 });
    expect(errors.map((e) => e.code)).toEqual(['SINK_SPOOL_CORRUPT']);
    expect(readdirSync(join(dir, 'quarantine'))).toEqual([
      `seg-0000000000000001.log.${records[1]!.offset}.bad`,
    ]);
  });

  it('on ENOSPC mid-write throws SINK_SPOOL_WRITE and never leaves a torn record before good ones', async () => {
    let full = false;
    const io: SpoolIo = {
      ...nodeSpoolIo,
      async write(fh, data, position) {
        if (!full) return nodeSpoolIo.write(fh, data, position);
        // A partial write, then the disk is full: what write(2) does at the edge.
        await fh.write(data, 0, 5, position);
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    };
    const { spool } = await Spool.open(dir, { io });
    await spool.append(batch(1));
    full = true;
    await expect(spool.append(batch(2))).rejects.toMatchObject({ code: 'SINK_SPOOL_WRITE' });
    full = false;
    await spool.append(batch(3));
    await spool.close();
    const errors: OutbidError[] = [];
    const reopened = await Spool.open(dir, { onError: (e) => errors.push(e) });
    expect(await readAll(reopened.spool, reopened.recovered)).toEqual([
      batch(1).toString(),
      batch(3).toString(),
    ]);
    expect(errors).toEqual([]);
  });
});
