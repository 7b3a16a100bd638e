import type { Clock, NoBidReasonName, Rng } from '../../core/index.ts';
import { BudgetDayKeys } from '../../core/store/budget-day-key.ts';
import type { BudgetStore } from '../../core/store/budget-store.ts';
import type { FrequencyScope, FrequencyStore } from '../../core/store/frequency-store.ts';
import type { GateTicket } from '../bidding/build-response.ts';
import type { DecideGate } from '../bidding/decide.ts';
import {
  type BudgetDenialReason,
  BudgetGate,
  type BudgetGateCounters,
  type GateCampaignBudget,
  type GateSettleOutcome,
  type Reservation,
} from '../budget/budget-gate.ts';
import {
  campaignScope,
  type FrequencyCandidate,
  FrequencyGate,
  lineItemScope,
  withTimeout,
} from '../frequency/frequency-gate.ts';
import type { NoticeFields, NoticeSigner } from '../notices/notice-signer.ts';
import { CampaignPacers } from '../pacing/campaign-pacers.ts';
import type { PacingState } from '../pacing/pacer.ts';
import type { CompiledLineItem, CompiledSnapshot } from '../targeting/compile-snapshot.ts';
import { decodeReservations, encodeReservations } from './reservation-token.ts';

/** Options of `BidGates`. */
export interface BidGatesOptions {
  readonly budgetStore: BudgetStore;
  readonly frequencyStore: FrequencyStore;
  readonly clock: Clock;
  /** Pacing draws. */
  readonly rng: Rng;
  readonly signer: NoticeSigner;
  /** This process's holder id in budget leases: unique per running process. */
  readonly holder: string;
  /** Budget lease life (BUDGET_LEASE_TTL_MS). */
  readonly leaseTtlMs: number;
  /** A budget-store call slower than this counts as down (BUDGET_STORE_DEADLINE_MS). */
  readonly storeDeadlineMs: number;
  /** Longest wait for the frequency store on the bid path (FREQUENCY_TIMEOUT_MS). */
  readonly frequencyTimeoutMs: number;
  /** Requests without a user key and line items with caps (FREQUENCY_UNKNOWN_USERS). */
  readonly unknownUsers: 'block' | 'allow';
  /** Even pacing's target curve (PACING_CURVE). */
  readonly pacingCurve: 'uniform' | 'traffic';
  /** How often pacing re-reads the shared spend and the budget gate does its periodic work (default 1000 ms). */
  readonly tickMs?: number;
  /** Store outages and data the stores refuse; default stderr. */
  readonly onError?: (err: Error) => void;
}

/** What the gates know of one line item, rebuilt on every snapshot. */
interface LineItemGate {
  readonly campaignId: string;
  /** The budgets a bid draws on, outermost first: advertiser cap, campaign, line-item share. */
  readonly budgetIds: readonly string[];
  /** Per segment, the budget of its arm (the allocation's segment arms); a bid for it draws on it too. */
  readonly segmentBudgetIds: ReadonlyMap<string, string> | undefined;
  /** The caps that apply (campaign's and its own); undefined when none. */
  readonly frequency: FrequencyCandidate | undefined;
}

/** The gates' answer for one bid: admitted with the signed gate parameters for its notice URLs, or turned away with a reason. */
export type Admission =
  | {
      readonly bidId: string;
      readonly ok: true;
      readonly gateQuery: string;
      /** What `abandon` gives back when the admitted bid is not sent after all. */
      readonly refs: readonly Reservation[];
      readonly userKey: string;
      readonly lineItemId: string;
    }
  | { readonly bidId: string; readonly ok: false; readonly reason: NoBidReasonName };

/** Counters of the frequency gate and of the bid-time holds, for /metrics. */
export interface FrequencyCounters {
  checks: number;
  capped: number;
  degraded: number;
  holds: number;
  holdsRefused: number;
  holdFailures: number;
  recorded: number;
  recordFailures: number;
}

const BUDGET_REASON: Record<BudgetDenialReason, NoBidReasonName> = {
  exhausted: 'BUDGET_EXHAUSTED',
  store_down: 'BUDGET_UNAVAILABLE',
  pending: 'BUDGET_UNAVAILABLE',
  unknown_campaign: 'NO_MATCHING_LINE_ITEM',
};

/** A bid's highest possible cost: one impression at its CPM, rounded up (integer micros). */
export function impressionCostMicros(cpmMicros: number): number {
  return Math.max(1, Math.ceil(cpmMicros / 1000));
}

/** Budget id of a line item's share, and of an advertiser cap; a campaign's is its own id. */
const lineItemBudgetId = (id: string) => `li:${id}`;
/** A segment arm's budget: the allocation's `${lineItemId}:${segmentId}` arm. */
const segmentBudgetId = (lineItemId: string, segmentId: string) => `li:${lineItemId}:${segmentId}`;
const advertiserBudgetId = (id: string) => `adv:${id}`;

const NO_CAPS: ReadonlySet<string> = new Set();

/**
 * The budget, pacing and frequency gates of one bidder process, between the decision and the
 * exchange, and again at the notices:
 * - before the decision (main-thread evaluation): one batched frequency check over the matched
 *   line items, then a screen that turns a candidate away (capped, throttled by pacing, budget not
 *   covered locally) so the next-best line item can bid instead;
 * - after it, for every bid (worker evaluation too): pacing (when not screened), a budget
 *   reservation of its highest cost on every budget it draws on (advertiser cap, campaign, line-
 *   item share) from the local leases — no Redis round trip — and a frequency hold for capped
 *   line items, so concurrent bids cannot pass a user's last free slot together;
 * - at the billing notice (any instance): settle each reservation at the clearing price (once per
 *   bid id, in the shared store) and count the impression against the caps; at the loss notice:
 *   give the reservation and the hold back.
 * Everything fails closed: a budget or frequency store that is down or late turns bids into
 * no-bids with a reason, never into unbudgeted or uncounted spend.
 */
export class BidGates {
  readonly budget: BudgetGate;
  readonly #budgetStore: BudgetStore;
  readonly #frequencyStore: FrequencyStore;
  readonly #frequency: FrequencyGate;
  readonly #pacers: CampaignPacers;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #signer: NoticeSigner;
  readonly #frequencyTimeoutMs: number;
  readonly #unknownUsers: 'block' | 'allow';
  readonly #tickMs: number;
  readonly #onError: (err: Error) => void;
  readonly #dayKeys = new BudgetDayKeys();
  #lineItems = new Map<string, LineItemGate>();
  #budgets = new Map<string, GateCampaignBudget>();
  /** Largest impression cost per budget id, to size the first leases. */
  #maxCost = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #syncing = false;
  readonly #frequencyCounters: FrequencyCounters = {
    checks: 0,
    capped: 0,
    degraded: 0,
    holds: 0,
    holdsRefused: 0,
    holdFailures: 0,
    recorded: 0,
    recordFailures: 0,
  };

  constructor(o: BidGatesOptions) {
    this.#budgetStore = o.budgetStore;
    this.#frequencyStore = o.frequencyStore;
    this.#clock = o.clock;
    this.#rng = o.rng;
    this.#signer = o.signer;
    this.#frequencyTimeoutMs = o.frequencyTimeoutMs;
    this.#unknownUsers = o.unknownUsers;
    this.#tickMs = o.tickMs ?? 1000;
    this.#onError = o.onError ?? ((err) => console.error(`[outbid gates] ${err.message}`));
    this.budget = new BudgetGate({
      store: o.budgetStore,
      clock: o.clock,
      holder: o.holder,
      budgetOf: (id) => this.#budgets.get(id),
      leaseTtlMs: o.leaseTtlMs,
      storeDeadlineMs: o.storeDeadlineMs,
      onError: this.#onError,
    });
    this.#frequency = new FrequencyGate({
      store: o.frequencyStore,
      clock: o.clock,
      timeoutMs: o.frequencyTimeoutMs,
      unknownUsers: o.unknownUsers,
    });
    this.#pacers = new CampaignPacers(o.clock, { curve: o.pacingCurve });
  }

  /** Takes the line items, budgets and caps of a new snapshot (synchronous; `warm` fetches the leases). */
  sync(snap: CompiledSnapshot): void {
    const lineItems = new Map<string, LineItemGate>();
    const budgets = new Map<string, GateCampaignBudget>();
    const maxCost = new Map<string, number>();
    const campaigns = new Map<string, CompiledLineItem['campaign']>();
    for (const cli of snap.lineItems) {
      const { lineItem: li, campaign: c, advertiser: a } = cli;
      campaigns.set(c.id, c);
      const ids: string[] = [];
      if (a.dailyBudgetMicros !== undefined || a.totalBudgetMicros !== undefined) {
        const id = advertiserBudgetId(a.id);
        budgets.set(id, {
          dailyBudgetMicros: a.dailyBudgetMicros ?? Number.MAX_SAFE_INTEGER,
          totalBudgetMicros: a.totalBudgetMicros ?? Number.MAX_SAFE_INTEGER,
          timeZone: a.timeZone ?? 'UTC',
        });
        ids.push(id);
      }
      budgets.set(c.id, {
        dailyBudgetMicros: c.dailyBudgetMicros,
        totalBudgetMicros: c.totalBudgetMicros,
        timeZone: c.timeZone,
      });
      ids.push(c.id);
      if (cli.allocatedDailyMicros !== undefined) {
        // The optimizer's budget arm for this line item: its daily budget for today's allocation.
        const id = lineItemBudgetId(li.id);
        budgets.set(id, {
          dailyBudgetMicros: cli.allocatedDailyMicros,
          totalBudgetMicros: c.totalBudgetMicros,
          timeZone: c.timeZone,
        });
        ids.push(id);
      } else if (li.budgetShare !== undefined) {
        const id = lineItemBudgetId(li.id);
        budgets.set(id, {
          dailyBudgetMicros: Math.floor(c.dailyBudgetMicros * li.budgetShare),
          totalBudgetMicros: Math.floor(c.totalBudgetMicros * li.budgetShare),
          timeZone: c.timeZone,
        });
        ids.push(id);
      }
      let segmentIds: Map<string, string> | undefined;
      if (cli.segmentDailyMicros !== undefined && cli.allocatedDailyMicros === undefined) {
        segmentIds = new Map();
        for (const [segment, dailyBudgetMicros] of cli.segmentDailyMicros) {
          const id = segmentBudgetId(li.id, segment);
          budgets.set(id, {
            dailyBudgetMicros,
            totalBudgetMicros: c.totalBudgetMicros,
            timeZone: c.timeZone,
          });
          segmentIds.set(segment, id);
        }
      }
      const cost = impressionCostMicros(li.maxCpmMicros);
      for (const id of [...ids, ...(segmentIds?.values() ?? [])]) {
        maxCost.set(id, Math.max(maxCost.get(id) ?? 0, cost));
      }
      const ownCaps = li.frequencyCaps ?? [];
      lineItems.set(li.id, {
        campaignId: c.id,
        budgetIds: ids,
        segmentBudgetIds: segmentIds,
        frequency:
          c.frequencyCaps.length > 0 || ownCaps.length > 0
            ? {
                lineItemId: li.id,
                campaignId: c.id,
                campaignCaps: c.frequencyCaps,
                lineItemCaps: ownCaps,
              }
            : undefined,
      });
    }
    this.#lineItems = lineItems;
    this.#budgets = budgets;
    this.#maxCost = maxCost;
    this.#pacers.sync([...campaigns.values()]);
  }

  /** Leases budget for every budget of the current snapshot (a changed budget is taken up first); resolves when the calls have answered (or failed). */
  async warm(): Promise<void> {
    this.budget.tick();
    await this.budget.warm([...this.#maxCost].map(([id, maxCostMicros]) => ({ id, maxCostMicros })));
  }

  /** Starts the periodic work: the budget gate's tick and pacing's read of the shared spend. */
  start(): void {
    this.stop();
    this.#timer = setInterval(() => {
      this.budget.tick();
      void this.#syncSpend();
    }, this.#tickMs);
    this.#timer.unref();
  }

  /** Stops the periodic work. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Stops, returns unreserved budget to the store and sends queued settlements (see `BudgetGate.close`). */
  async close(): Promise<{ unsentSettlements: number }> {
    this.stop();
    return this.budget.close();
  }

  /** One pacing step: each paced campaign's day spend from the shared store (all instances' billing). */
  async #syncSpend(): Promise<void> {
    if (this.#syncing) return;
    this.#syncing = true;
    try {
      const now = this.#clock.now();
      const work: Promise<void>[] = [];
      for (const [id, budget] of this.#budgets) {
        const pacer = this.#pacers.get(id);
        if (pacer === undefined) continue;
        work.push(
          this.#budgetStore.spend(id, this.#dayKeys.at(budget.timeZone, now)).then(
            (s) => pacer.syncSpent(s.dayMicros),
            () => undefined, // the budget gate reports the outage; pacing keeps its last figure
          ),
        );
      }
      await Promise.all(work);
    } finally {
      this.#syncing = false;
    }
  }

  /** Whether the gates know any line item with frequency caps in `matched`. */
  #capped(matched: readonly CompiledLineItem[]): FrequencyCandidate[] {
    const out: FrequencyCandidate[] = [];
    for (const li of matched) {
      const f = this.#lineItems.get(li.lineItem.id)?.frequency;
      if (f !== undefined) out.push(f);
    }
    return out;
  }

  /**
   * Before a main-thread decision: checks the user's caps on the matched line items (one store
   * call, skipped when none has caps) and returns the screen that turns candidates away.
   */
  async prepare(matched: readonly CompiledLineItem[], userKey: string | undefined): Promise<DecideGate> {
    const candidates = this.#capped(matched);
    let capped: ReadonlySet<string> = NO_CAPS;
    let degraded = false;
    if (candidates.length > 0) {
      this.#frequencyCounters.checks += 1;
      const verdict = await this.#frequency.check(userKey, candidates);
      capped = verdict.cappedLineItems;
      degraded = verdict.degraded !== undefined;
      if (degraded) this.#frequencyCounters.degraded += 1;
      else if (capped.size > 0) this.#frequencyCounters.capped += 1;
    }
    const paced = new Map<string, boolean>();
    return {
      matched,
      screen: (cli, priceMicros, segment) => {
        const id = cli.lineItem.id;
        const info = this.#lineItems.get(id);
        if (info === undefined) return 'NO_MATCHING_LINE_ITEM';
        if (capped.has(id)) return degraded ? 'FREQUENCY_UNAVAILABLE' : 'FREQUENCY_CAPPED';
        const cost = impressionCostMicros(priceMicros);
        if (!this.#paced(paced, info.campaignId, cost)) return 'PACING_THROTTLED';
        const budgetIds = budgetIdsOf(info, segment);
        if (budgetIds === undefined) return 'BUDGET_EXHAUSTED';
        for (const budgetId of budgetIds) {
          const denial = this.budget.peek(budgetId, cost);
          if (denial !== undefined) return BUDGET_REASON[denial];
        }
        return undefined;
      },
    };
  }

  /** One pacing draw per campaign and request. */
  #paced(memo: Map<string, boolean>, campaignId: string, cost: number): boolean {
    let take = memo.get(campaignId);
    if (take === undefined) {
      take = this.#pacers.get(campaignId)?.shouldBid(this.#rng, cost) ?? true;
      memo.set(campaignId, take);
    }
    return take;
  }

  /**
   * After the decision: admits or turns away each bid (see the class comment). `screened` says the
   * decision ran `prepare`'s screen, so pacing has drawn already. Reservations of bids turned away
   * are given back at once.
   */
  async admit(
    tickets: readonly GateTicket[],
    userKey: string | undefined,
    screened: boolean,
  ): Promise<Admission[]> {
    const paced = new Map<string, boolean>();
    const now = this.#clock.now();
    return Promise.all(tickets.map((t) => this.#admitOne(t, userKey, screened, paced, now)));
  }

  #admitOne(
    t: GateTicket,
    userKey: string | undefined,
    screened: boolean,
    paced: Map<string, boolean>,
    now: number,
  ): Admission | Promise<Admission> {
    const deny = (reason: NoBidReasonName): Admission => ({ bidId: t.bidId, ok: false, reason });
    const info = this.#lineItems.get(t.lineItemId);
    if (info === undefined) return deny('NO_MATCHING_LINE_ITEM');
    const cost = impressionCostMicros(t.priceMicros);
    if (!screened && !this.#paced(paced, info.campaignId, cost)) return deny('PACING_THROTTLED');
    const refs: Reservation[] = [];
    const releaseAll = () => {
      for (const r of refs) this.budget.release(r);
    };
    const budgetIds = budgetIdsOf(info, t.segment);
    if (budgetIds === undefined) return deny('BUDGET_EXHAUSTED');
    for (const budgetId of budgetIds) {
      const ref = this.budget.tryReserve(budgetId, cost, { expiresInMs: t.expSec * 1000 });
      if (ref === undefined) {
        releaseAll();
        return deny(BUDGET_REASON[this.budget.peek(budgetId, cost) ?? 'pending']);
      }
      refs.push(ref);
    }
    const admitted = (u: string): Admission => ({
      bidId: t.bidId,
      ok: true,
      gateQuery: this.#signer.gateQuery({ bid: t.bidId, r: encodeReservations(refs), u }),
      refs,
      userKey: u,
      lineItemId: t.lineItemId,
    });
    const freq = info.frequency;
    if (freq === undefined) return admitted('');
    if (userKey === undefined) {
      if (this.#unknownUsers === 'allow') return admitted('');
      releaseAll();
      return deny('FREQUENCY_UNAVAILABLE');
    }
    this.#frequencyCounters.holds += 1;
    const scopes = scopesOf(freq);
    const hold = this.#frequencyStore.reserve(userKey, scopes, now, t.bidId, t.expSec * 1000);
    return withTimeout(hold, this.#frequencyTimeoutMs).then(
      (full) => {
        if (full.size === 0) return admitted(userKey);
        this.#frequencyCounters.holdsRefused += 1;
        releaseAll();
        return deny('FREQUENCY_CAPPED');
      },
      () => {
        this.#frequencyCounters.holdFailures += 1;
        releaseAll();
        // A hold granted after the deadline would block a slot for a bid never sent.
        hold.then(
          (full) => {
            if (full.size === 0)
              this.#frequencyStore.release(userKey, scopes, t.bidId).catch(() => undefined);
          },
          () => undefined,
        );
        return deny('FREQUENCY_UNAVAILABLE');
      },
    );
  }

  /**
   * A verified billing notice (any instance): settles every reservation of the bid at the clearing
   * price (`clearingCpmMicros`, account currency) and counts the impression against the user's
   * caps. Answers the campaign budget's outcome: `recorded`, `duplicate` (a retry, counted once),
   * `queued` (the store did not answer in time; retried), or `unreserved` (no reservation in the URL).
   */
  async billed(f: NoticeFields, clearingCpmMicros: number): Promise<GateSettleOutcome | 'unreserved'> {
    const refs = decodeReservations(f.r);
    if (refs === undefined) {
      this.#onError(new Error(`billing notice of bid ${f.bid}: malformed reservation token`));
    }
    const cost = Math.round(clearingCpmMicros / 1000);
    const settled = Promise.all((refs ?? []).map((ref) => this.budget.settle(ref, f.bid, cost)));
    const counted = f.u !== '' ? this.#record(f) : Promise.resolve();
    const [outcomes] = await Promise.all([settled, counted]);
    const i = (refs ?? []).findIndex((r) => r.campaignId === f.c);
    return i >= 0 ? outcomes[i]! : (outcomes[0] ?? 'unreserved');
  }

  async #record(f: NoticeFields): Promise<void> {
    const freq = this.#lineItems.get(f.li)?.frequency;
    // A line item deleted since the bid: its caps no longer matter.
    if (freq === undefined) return;
    try {
      await this.#frequencyStore.record(f.u, scopesOf(freq), this.#clock.now(), f.bid);
      this.#frequencyCounters.recorded += 1;
    } catch (err) {
      this.#frequencyCounters.recordFailures += 1;
      this.#onError(new Error(`frequency record of bid ${f.bid} failed: ${(err as Error).message}`));
    }
  }

  /** Gives back what admitted bids hold when they are not sent after all (the deadline passed meanwhile). */
  abandon(admissions: readonly Admission[]): void {
    for (const a of admissions) {
      if (!a.ok) continue;
      for (const ref of a.refs) this.budget.release(ref);
      const freq = a.userKey !== '' ? this.#lineItems.get(a.lineItemId)?.frequency : undefined;
      if (freq !== undefined) {
        this.#frequencyStore.release(a.userKey, scopesOf(freq), a.bidId).catch(() => undefined);
      }
    }
  }

  /** A verified loss notice: gives the bid's reservations (held here) and its frequency hold back. */
  lost(f: NoticeFields): void {
    for (const ref of decodeReservations(f.r) ?? []) this.budget.release(ref);
    const freq = f.u !== '' ? this.#lineItems.get(f.li)?.frequency : undefined;
    if (freq !== undefined) {
      this.#frequencyStore.release(f.u, scopesOf(freq), f.bid).catch(() => undefined); // it expires anyway
    }
  }

  /** Every paced campaign's state (target vs actual, throttle), for /metrics and the internal API. */
  pacingStates(): Record<string, PacingState> {
    return this.#pacers.states();
  }

  /** The budget gate's counters. */
  budgetCounters(): BudgetGateCounters {
    return this.budget.counters();
  }

  /** The frequency counters (a copy). */
  frequencyCounters(): FrequencyCounters {
    return { ...this.#frequencyCounters };
  }

  /** The budget ids the current snapshot uses, with each one's local balance. */
  balances(): Record<string, ReturnType<BudgetGate['balance']>> {
    const out: Record<string, ReturnType<BudgetGate['balance']>> = {};
    for (const id of this.#budgets.keys()) out[id] = this.budget.balance(id);
    return out;
  }
}

/**
 * The budgets a bid draws on: the line item's, plus its segment's arm when the allocation splits the
 * line item by segment. Undefined when the allocation has segment arms but none for this segment:
 * an arm absent from the allocation gets nothing (core/allocation.ts).
 */
function budgetIdsOf(info: LineItemGate, segment: string | undefined): readonly string[] | undefined {
  if (info.segmentBudgetIds === undefined) return info.budgetIds;
  const arm = segment === undefined ? undefined : info.segmentBudgetIds.get(segment);
  return arm === undefined ? undefined : [...info.budgetIds, arm];
}

function scopesOf(f: FrequencyCandidate): FrequencyScope[] {
  const scopes: FrequencyScope[] = [];
  if (f.campaignCaps.length > 0) scopes.push(campaignScope(f.campaignId, f.campaignCaps));
  if (f.lineItemCaps.length > 0) scopes.push(lineItemScope(f.lineItemId, f.lineItemCaps));
  return scopes;
}
