import { describe, expect, it } from 'vitest';
import type { StoreError } from './errors.ts';
import { VersionNotifier } from './version-notifier.ts';

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('VersionNotifier', () => {
  it('delivers each version once and never an older one', async () => {
    const notifier = new VersionNotifier(() => undefined);
    const seen: number[] = [];
    notifier.add((v) => seen.push(v));
    for (const v of [1, 1, 3, 2, 3, 4]) notifier.notify(v);
    await flush();
    expect(seen).toEqual([1, 3, 4]);
    expect(notifier.lastVersion).toBe(4);
  });

  it('with reset, delivers a lower version but not the same one', async () => {
    const notifier = new VersionNotifier(() => undefined);
    const seen: number[] = [];
    notifier.add((v) => seen.push(v));
    notifier.notify(5);
    notifier.notify(5, true);
    notifier.notify(0, true);
    notifier.notify(1);
    await flush();
    expect(seen).toEqual([5, 0, 1]);
  });

  it('calls listeners after the notifying code has finished', async () => {
    const notifier = new VersionNotifier(() => undefined);
    const seen: number[] = [];
    notifier.add((v) => seen.push(v));
    notifier.notify(1);
    expect(seen).toEqual([]);
    await flush();
    expect(seen).toEqual([1]);
  });

  it('skips a listener removed between the write and the delivery', async () => {
    const notifier = new VersionNotifier(() => undefined);
    const seen: number[] = [];
    const remove = notifier.add((v) => seen.push(v));
    notifier.notify(1);
    remove();
    await flush();
    expect(seen).toEqual([]);
    expect(notifier.size).toBe(0);
  });

  it('reports a throwing listener and still calls the next one', async () => {
    const errors: StoreError[] = [];
    const notifier = new VersionNotifier((err) => errors.push(err));
    const seen: number[] = [];
    notifier.add(() => {
      throw new Error('boom');
    });
    notifier.add((v) => seen.push(v));
    notifier.notify(7);
    await flush();
    expect(seen).toEqual([7]);
    expect(errors.map((e) => [e.code, (e.cause as Error).message])).toEqual([
      ['STORE_LISTENER_FAILED', 'boom'],
    ]);
  });
});
