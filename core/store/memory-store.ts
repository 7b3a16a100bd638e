import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CampaignData, EntityByKind, EntityKind } from '../campaign.ts';
import { entityProblems } from '../validate-campaign-data.ts';
import { byId, ENTITY_KINDS, ENTITY_LISTS, entitiesOf, frozenCopy } from './entity-data.ts';
import { defaultStoreErrorHandler, StoreError, type StoreErrorHandler } from './errors.ts';
import type { StateStore } from './state-store.ts';
import { VersionNotifier } from './version-notifier.ts';

/** Options of `MemoryStateStore`. */
export interface MemoryStateStoreOptions {
  /** JSON file the store is loaded from and snapshotted to; without it the store lives only in memory. */
  snapshotPath?: string;
  /** How long after a write the snapshot is taken, so a burst of writes costs one file write (default 200). */
  snapshotDebounceMs?: number;
  /** Receives failed background snapshots and throwing subscribers (default: stderr). */
  onError?: StoreErrorHandler;
}

/** Version of the snapshot file layout; bump it (and read the old one) when the layout changes. */
const SNAPSHOT_FORMAT_VERSION = 1;
/** Entity lists a format-1 snapshot may lack because they were added later. */
const OPTIONAL_LISTS: ReadonlySet<EntityKind> = new Set(['scoreTable', 'allocation']);
/** At most this many problems are quoted in a corrupt-snapshot error; the rest are counted. */
const MAX_QUOTED_PROBLEMS = 20;

type EntityMaps = { [K in EntityKind]: Map<string, EntityByKind[K]> };

function emptyMaps(): EntityMaps {
  return {
    advertiser: new Map(),
    campaign: new Map(),
    lineItem: new Map(),
    creative: new Map(),
    scoreTable: new Map(),
    allocation: new Map(),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and checks a snapshot, listing every problem at once (like config validation). */
function parseSnapshot(path: string, text: string): { version: number; maps: EntityMaps } {
  const invalid = (problems: readonly string[], cause?: unknown) => {
    const quoted = problems.slice(0, MAX_QUOTED_PROBLEMS).join('; ');
    const more =
      problems.length > MAX_QUOTED_PROBLEMS ? ` (and ${problems.length - MAX_QUOTED_PROBLEMS} more)` : '';
    return new StoreError(
      'STORE_SNAPSHOT_INVALID',
      `state snapshot ${path} is corrupt: ${quoted}${more}. Fix or move the file away; it was left untouched.`,
      cause === undefined ? undefined : { cause },
    );
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid([`not valid JSON (${(err as Error).message})`], err);
  }
  if (!isRecord(parsed)) throw invalid(['not a JSON object']);
  if (parsed.formatVersion !== SNAPSHOT_FORMAT_VERSION) {
    throw invalid([
      `formatVersion is ${JSON.stringify(parsed.formatVersion)}, expected ${SNAPSHOT_FORMAT_VERSION}`,
    ]);
  }
  const problems: string[] = [];
  const version = parsed.version;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    problems.push(`version is ${JSON.stringify(version)}, expected a non-negative integer`);
  }
  const maps = emptyMaps();
  const data = parsed.data;
  if (!isRecord(data)) {
    problems.push('data is not an object');
  } else {
    for (const kind of ENTITY_KINDS) {
      const list = data[ENTITY_LISTS[kind]];
      // Snapshots written before score tables existed have no such list: same format, nothing stored.
      if (list === undefined && OPTIONAL_LISTS.has(kind)) continue;
      if (!Array.isArray(list)) {
        problems.push(`data.${ENTITY_LISTS[kind]} is not an array`);
        continue;
      }
      const map = maps[kind] as Map<string, unknown>;
      list.forEach((entity: unknown, i) => {
        const entityErrors = entityProblems(kind, entity);
        for (const p of entityErrors) problems.push(`data.${ENTITY_LISTS[kind]}[${i}] ${p}`);
        if (entityErrors.length > 0) return;
        const id = (entity as { id: string }).id;
        if (map.has(id)) problems.push(`data.${ENTITY_LISTS[kind]}[${i}]: duplicate ${kind} id ${id}`);
        map.set(id, frozenCopy(entity));
      });
    }
  }
  if (problems.length > 0) throw invalid(problems);
  return { version: version as number, maps };
}

/**
 * The embedded state store: everything in process memory, optionally snapshotted to one JSON
 * file. Entities handed out are deeply frozen, so callers share them without copying and cannot
 * change the store behind its back.
 */
export class MemoryStateStore implements StateStore {
  readonly #path: string | undefined;
  readonly #debounceMs: number;
  readonly #onError: StoreErrorHandler;
  readonly #notifier: VersionNotifier;
  #maps = emptyMaps();
  #version = 0;
  /** The last load() result, reused until the next write: bidders reload after every notification. */
  #loaded: { version: number; data: CampaignData } | undefined;
  #ready: Promise<void> | undefined;
  #closed = false;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  /** Tail of the snapshot-write chain: writes never overlap, so an older one cannot land last. */
  #writing: Promise<void> = Promise.resolve();
  #tmpCounter = 0;

  constructor(options: MemoryStateStoreOptions = {}) {
    this.#path = options.snapshotPath;
    this.#debounceMs = options.snapshotDebounceMs ?? 200;
    this.#onError = options.onError ?? defaultStoreErrorHandler;
    this.#notifier = new VersionNotifier(this.#onError);
  }

  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    // A failed load is not cached, so a caller may fix the file and try again.
    this.#ready ??= this.#loadSnapshot().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async load(): Promise<{ version: number; data: CampaignData }> {
    await this.#usable();
    return this.#current();
  }

  #current(): { version: number; data: CampaignData } {
    this.#loaded ??= Object.freeze({
      version: this.#version,
      data: Object.freeze({
        advertisers: Object.freeze([...this.#maps.advertiser.values()].sort(byId)),
        campaigns: Object.freeze([...this.#maps.campaign.values()].sort(byId)),
        lineItems: Object.freeze([...this.#maps.lineItem.values()].sort(byId)),
        creatives: Object.freeze([...this.#maps.creative.values()].sort(byId)),
        scoreTables: Object.freeze([...this.#maps.scoreTable.values()].sort(byId)),
        allocations: Object.freeze([...this.#maps.allocation.values()].sort(byId)),
      }),
    });
    return this.#loaded;
  }

  async get<K extends EntityKind>(kind: K, id: string): Promise<EntityByKind[K] | undefined> {
    await this.#usable();
    return this.#maps[kind].get(id);
  }

  async put<K extends EntityKind>(kind: K, entity: EntityByKind[K]): Promise<number> {
    await this.#usable();
    this.#maps[kind].set(entity.id, frozenCopy(entity));
    return this.#wrote();
  }

  async delete(kind: EntityKind, id: string): Promise<number> {
    await this.#usable();
    if (!this.#maps[kind].delete(id)) return this.#version;
    return this.#wrote();
  }

  async replaceAll(data: CampaignData): Promise<number> {
    await this.#usable();
    const maps = emptyMaps();
    for (const kind of ENTITY_KINDS) {
      const map = maps[kind] as Map<string, unknown>;
      for (const entity of entitiesOf(data, kind)) map.set(entity.id, frozenCopy(entity));
    }
    this.#maps = maps;
    return this.#wrote();
  }

  async version(): Promise<number> {
    await this.#usable();
    return this.#version;
  }

  subscribe(listener: (version: number) => void): () => void {
    return this.#notifier.add(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Never snapshot while the initial load is running or after it failed: that would overwrite the file.
    const loaded = await this.#ready?.then(
      () => true,
      () => false,
    );
    if (loaded === true) await this.#flush();
  }

  #closedError(): StoreError {
    return new StoreError('STORE_CLOSED', 'the state store is closed');
  }

  async #usable(): Promise<void> {
    if (this.#closed) throw this.#closedError();
    await this.ready();
  }

  #wrote(): number {
    this.#version += 1;
    this.#loaded = undefined;
    this.#notifier.notify(this.#version);
    if (this.#path !== undefined) {
      this.#dirty = true;
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#flush().catch((err: unknown) => this.#onError(err as StoreError));
      }, this.#debounceMs);
    }
    return this.#version;
  }

  async #loadSnapshot(): Promise<void> {
    const path = this.#path;
    if (path === undefined) return;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new StoreError(
        'STORE_SNAPSHOT_UNREADABLE',
        `cannot read state snapshot ${path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const { version, maps } = parseSnapshot(path, text);
    this.#version = version;
    this.#maps = maps;
    this.#loaded = undefined;
  }

  /** Writes the snapshot if anything changed since the last one; rejects with the write error. */
  #flush(): Promise<void> {
    const run = this.#writing.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      try {
        await this.#writeSnapshot();
      } catch (err) {
        this.#dirty = true;
        throw new StoreError(
          'STORE_SNAPSHOT_WRITE_FAILED',
          `cannot write state snapshot ${this.#path}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    });
    this.#writing = run.catch(() => undefined);
    return run;
  }

  /**
   * Replaces the snapshot atomically: a crash leaves either the old or the new file, never a torn
   * one, because rename() within a directory is atomic and the data is fsynced before it.
   */
  async #writeSnapshot(): Promise<void> {
    const path = this.#path as string;
    const { version, data } = this.#current();
    const text = JSON.stringify({ formatVersion: SNAPSHOT_FORMAT_VERSION, version, data });
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    this.#tmpCounter += 1;
    const tmp = join(dir, `.${basename(path)}.${process.pid}.${this.#tmpCounter}.tmp`);
    try {
      const file = await open(tmp, 'w');
      try {
        await file.writeFile(text, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    // The rename lives in the directory entry; fsync it too or a power cut can undo it.
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
