import type { Clock } from '../clock.ts';
import { BudgetJournal, type JournalCampaign, type JournalLine } from './budget-journal.ts';
import {
  type BudgetSpend,
  type BudgetStore,
  checkBilledTtlMs,
  checkLeaseRequest,
  checkReleaseRequest,
  checkSettleRequest,
  checkSpendArgs,
  DEFAULT_BILLED_TTL_MS,
  type LeaseGrant,
  type LeaseRequest,
  type ReleaseRequest,
  type SettledElsewhere,
  type SettleOutcome,
  type SettleRequest,
} from './budget-store.ts';
import { StoreError } from './errors.ts';

/** Options of `MemoryBudgetStore`. */
export interface MemoryBudgetStoreOptions {
  /** Source of time for lease and billed-id expiry (tests and simulations pass a ManualClock). */
  clock: Clock;
  /** How long a billed bid id is remembered (default 24 h). */
  billedTtlMs?: number;
  /**
   * Keep spend in this write-ahead journal (`BudgetJournal`), so it survives a restart or crash:
   * `settle` resolves once its record is on disk. Absent: spend lives in memory only (tests).
   */
  journalPath?: string;
}

/** Days of per-day spend a compacted journal keeps (today, and days a late billing may still name). */
const JOURNAL_DAYS = 8;

interface Lease {
  amount: number;
  expiresAtMs: number;
  readonly leaseId: number;
}

interface Inbox {
  entries: SettledElsewhere[];
  expiresAtMs: number;
}

interface CampaignLedger {
  spent: number;
  readonly spentByDay: Map<string, number>;
  seq: number;
  /** By `holder|dayKey`, the same field name as the Redis hash. */
  readonly leases: Map<string, Lease>;
  readonly inboxes: Map<string, Inbox>;
  /** Bid id → expiry; insertion order is expiry order (one TTL), so sweeping stops at the first live one. */
  readonly billed: Map<string, number>;
}

/** Billed ids dropped per settle at most, so one call never pays for a long sweep. */
const SWEEP_PER_CALL = 64;

/**
 * The embedded budget store, for one process (`npm start` without Redis) and for tests: the same
 * contract and arithmetic as the Redis scripts, on Maps, with time from the injected clock. Every
 * method does all its work synchronously before its promise resolves, which makes each call
 * atomic exactly as a Lua script is.
 */
export class MemoryBudgetStore implements BudgetStore {
  readonly #clock: Clock;
  readonly #billedTtlMs: number;
  readonly #campaigns = new Map<string, CampaignLedger>();
  #closed = false;
  #journal: BudgetJournal | undefined;
  /** Settles once the journal is replayed (at once without one); every call waits for it first. */
  readonly #opened: Promise<void>;

  constructor(options: MemoryBudgetStoreOptions) {
    this.#clock = options.clock;
    this.#billedTtlMs = options.billedTtlMs ?? DEFAULT_BILLED_TTL_MS;
    checkBilledTtlMs(this.#billedTtlMs);
    const path = options.journalPath;
    this.#opened =
      path === undefined
        ? Promise.resolve()
        : BudgetJournal.open(
            path,
            (line) => this.#replay(line),
            () => this.#snapshot(),
          ).then((journal) => {
            this.#journal = journal;
          });
    // Reported by ready() and by every call; not an unhandled rejection meanwhile.
    this.#opened.catch(() => undefined);
  }

  async lease(r: LeaseRequest): Promise<LeaseGrant> {
    await this.#opened;
    this.#usable();
    checkLeaseRequest(r);
    const now = this.#clock.now();
    const c = this.#ledger(r.campaignId);
    const day = r.limits.dayKey;
    const mineKey = `${r.holder}|${day}`;
    let outTotal = 0;
    let outDay = 0;
    for (const [field, lease] of c.leases) {
      const [holder, leaseDay] = splitField(field);
      if (lease.expiresAtMs <= now || (holder === r.holder && leaseDay !== day && lease.amount === 0)) {
        c.leases.delete(field);
        continue;
      }
      if (holder === r.holder) lease.expiresAtMs = now + r.ttlMs;
      outTotal += lease.amount;
      if (leaseDay === day) outDay += lease.amount;
    }
    const remaining = Math.min(
      r.limits.totalMicros - c.spent - outTotal,
      r.limits.dailyMicros - (c.spentByDay.get(day) ?? 0) - outDay,
    );
    const granted = Math.max(0, Math.min(r.wantMicros, remaining));
    let mine = c.leases.get(mineKey);
    if (mine !== undefined) mine.amount += granted;
    else if (granted > 0) {
      c.seq += 1;
      mine = { amount: granted, expiresAtMs: now + r.ttlMs, leaseId: c.seq };
      c.leases.set(mineKey, mine);
    }
    const inbox = c.inboxes.get(r.holder);
    c.inboxes.delete(r.holder);
    const settledElsewhere = inbox !== undefined && inbox.expiresAtMs > now ? inbox.entries : [];
    return {
      grantedMicros: granted,
      leaseId: mine?.leaseId ?? 0,
      heldMicros: mine?.amount ?? 0,
      remainingMicros: Math.max(0, remaining - granted),
      settledElsewhere,
    };
  }

  async settle(r: SettleRequest): Promise<SettleOutcome> {
    await this.#opened;
    this.#usable();
    checkSettleRequest(r);
    const now = this.#clock.now();
    const c = this.#ledger(r.campaignId);
    this.#sweepBilled(c, now);
    const billedUntil = c.billed.get(r.bidId);
    if (billedUntil !== undefined && billedUntil > now) return 'duplicate';
    c.billed.delete(r.bidId);
    c.billed.set(r.bidId, now + this.#billedTtlMs);
    c.spent += r.costMicros;
    c.spentByDay.set(r.dayKey, (c.spentByDay.get(r.dayKey) ?? 0) + r.costMicros);
    // Counted in memory first (a concurrent retry must see it), durable before the answer.
    const durable = this.#journal?.append({
      campaignId: r.campaignId,
      dayKey: r.dayKey,
      bidId: r.bidId,
      costMicros: r.costMicros,
      billedUntilMs: now + this.#billedTtlMs,
    });
    this.#settleLease(c, r, now);
    await durable;
    return 'recorded';
  }

  #settleLease(c: CampaignLedger, r: SettleRequest, now: number): void {
    const lease = this.#liveLease(c, `${r.holder}|${r.dayKey}`, r.leaseId, now);
    if (lease === undefined) return;
    lease.amount -= Math.min(r.costMicros, lease.amount);
    if (r.notifyHolder) {
      let inbox = c.inboxes.get(r.holder);
      if (inbox === undefined || inbox.expiresAtMs <= now) {
        inbox = { entries: [], expiresAtMs: 0 };
        c.inboxes.set(r.holder, inbox);
      }
      inbox.entries.push({
        reservationId: r.reservationId,
        costMicros: r.costMicros,
        dayKey: r.dayKey,
        leaseId: r.leaseId,
      });
      // Lives as long as the lease did at push time: a live holder collects it before that.
      inbox.expiresAtMs = lease.expiresAtMs;
    }
  }

  async release(r: ReleaseRequest): Promise<number> {
    await this.#opened;
    this.#usable();
    checkReleaseRequest(r);
    const c = this.#campaigns.get(r.campaignId);
    if (c === undefined) return 0;
    const lease = this.#liveLease(c, `${r.holder}|${r.dayKey}`, r.leaseId, this.#clock.now());
    if (lease === undefined) return 0;
    const released = Math.min(r.micros, lease.amount);
    lease.amount -= released;
    return released;
  }

  async spend(campaignId: string, dayKey: string): Promise<BudgetSpend> {
    await this.#opened;
    this.#usable();
    checkSpendArgs(campaignId, dayKey);
    const c = this.#campaigns.get(campaignId);
    if (c === undefined) return { totalMicros: 0, dayMicros: 0, leasedMicros: 0, dayLeasedMicros: 0 };
    const now = this.#clock.now();
    let leased = 0;
    let dayLeased = 0;
    for (const [field, lease] of c.leases) {
      if (lease.expiresAtMs <= now) continue;
      leased += lease.amount;
      if (splitField(field)[1] === dayKey) dayLeased += lease.amount;
    }
    return {
      totalMicros: c.spent,
      dayMicros: c.spentByDay.get(dayKey) ?? 0,
      leasedMicros: leased,
      dayLeasedMicros: dayLeased,
    };
  }

  async ready(): Promise<void> {
    await this.#opened;
    this.#usable();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#opened.catch(() => undefined);
    await this.#journal?.close();
  }

  #replay(line: JournalLine): void {
    const c = this.#ledger(line.campaignId);
    if (line.k === 'c') {
      c.spent = line.spentMicros;
      for (const [day, micros] of Object.entries(line.spentByDay)) c.spentByDay.set(day, micros);
      for (const [bidId, until] of Object.entries(line.billed)) c.billed.set(bidId, until);
      return;
    }
    if (c.billed.has(line.bidId)) return;
    c.billed.set(line.bidId, line.billedUntilMs);
    c.spent += line.costMicros;
    c.spentByDay.set(line.dayKey, (c.spentByDay.get(line.dayKey) ?? 0) + line.costMicros);
  }

  #snapshot(): JournalCampaign[] {
    const now = this.#clock.now();
    return [...this.#campaigns].map(([campaignId, c]) => {
      const days = [...c.spentByDay].sort((a, b) => (a[0] < b[0] ? 1 : -1)).slice(0, JOURNAL_DAYS);
      const billed: Record<string, number> = {};
      for (const [bidId, until] of c.billed) if (until > now) billed[bidId] = until;
      return { campaignId, spentMicros: c.spent, spentByDay: Object.fromEntries(days), billed };
    });
  }

  #usable(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', 'the budget store is closed');
  }

  #ledger(campaignId: string): CampaignLedger {
    let c = this.#campaigns.get(campaignId);
    if (c === undefined) {
      c = {
        spent: 0,
        spentByDay: new Map(),
        seq: 0,
        leases: new Map(),
        inboxes: new Map(),
        billed: new Map(),
      };
      this.#campaigns.set(campaignId, c);
    }
    return c;
  }

  /** The lease under `field` when it is live and is lease `leaseId`; an expired one is dropped. */
  #liveLease(c: CampaignLedger, field: string, leaseId: number, now: number): Lease | undefined {
    const lease = c.leases.get(field);
    if (lease === undefined || leaseId === 0) return undefined;
    if (lease.expiresAtMs <= now) {
      c.leases.delete(field);
      return undefined;
    }
    return lease.leaseId === leaseId ? lease : undefined;
  }

  #sweepBilled(c: CampaignLedger, now: number): void {
    let budget = SWEEP_PER_CALL;
    for (const [bidId, until] of c.billed) {
      if (until > now || budget-- === 0) return;
      c.billed.delete(bidId);
    }
  }
}

/** `holder|dayKey` → [holder, dayKey]; holders cannot contain `|` (checked on every call). */
function splitField(field: string): [string, string] {
  const bar = field.indexOf('|');
  return [field.slice(0, bar), field.slice(bar + 1)];
}
