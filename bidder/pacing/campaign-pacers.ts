import type { Campaign, Clock } from '../../core/index.ts';
import { Pacer, type PacerTuning, type PacingState } from './pacer.ts';

/** The campaign fields pacing reads. */
export type PacedCampaign = Pick<Campaign, 'id' | 'pacing' | 'dailyBudgetMicros' | 'timeZone'>;

/**
 * One `Pacer` per campaign of this process, kept in step with the campaign model: `sync` on every
 * new campaign version creates, reconfigures (spend and learning kept) or drops pacers. `states`
 * is what `/metrics` and the dashboard's internal API read.
 */
export class CampaignPacers {
  readonly #clock: Clock;
  readonly #tuning: PacerTuning;
  readonly #curve: 'uniform' | 'traffic';
  readonly #pacers = new Map<string, { pacer: Pacer; key: string }>();

  /** `curve`: the target curve of even pacing for every campaign (default 'uniform'). */
  constructor(clock: Clock, options: { tuning?: PacerTuning; curve?: 'uniform' | 'traffic' } = {}) {
    this.#clock = clock;
    this.#tuning = options.tuning ?? {};
    this.#curve = options.curve ?? 'uniform';
  }

  /** Makes the set of pacers match `campaigns` (active ones, as the bidder compiles them). */
  sync(campaigns: readonly PacedCampaign[]): void {
    const seen = new Set<string>();
    for (const c of campaigns) {
      seen.add(c.id);
      const settings = {
        mode: c.pacing,
        dailyBudgetMicros: c.dailyBudgetMicros,
        timeZone: c.timeZone,
        curve: this.#curve,
      } as const;
      const key = `${c.pacing}|${c.dailyBudgetMicros}|${c.timeZone}`;
      const held = this.#pacers.get(c.id);
      if (held === undefined) {
        this.#pacers.set(c.id, { pacer: new Pacer(settings, this.#clock, this.#tuning), key });
      } else if (held.key !== key) {
        held.pacer.reconfigure(settings);
        this.#pacers.set(c.id, { pacer: held.pacer, key });
      }
    }
    for (const id of [...this.#pacers.keys()]) if (!seen.has(id)) this.#pacers.delete(id);
  }

  /** The pacer of a campaign, if it is synced. */
  get(campaignId: string): Pacer | undefined {
    return this.#pacers.get(campaignId)?.pacer;
  }

  /** Every campaign's pacing state, by campaign id. */
  states(): Record<string, PacingState> {
    const out: Record<string, PacingState> = {};
    for (const [id, { pacer }] of this.#pacers) out[id] = pacer.state();
    return out;
  }
}
