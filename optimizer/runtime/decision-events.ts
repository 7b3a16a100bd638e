import type { OptimizerDecisionEvent } from '../../reporting/index.ts';
import type { WrittenCycle } from '../optimize-cycle.ts';

/**
 * The decision log of one cycle as events for the ClickHouse sink (type `optimizer_decision`, one
 * per campaign; read back by the `optimizer_decisions` report and `/api/v1/optimizer/decisions`):
 * the reason and the bandit in columns; in `payload` the allocation version, whether it reached the
 * bidders, the note, per arm the decayed statistics, the posterior summary, the bandit's own
 * preference and the final share and budget, and the issues met.
 */
export function decisionEvents(cycle: WrittenCycle, nowMs: number): OptimizerDecisionEvent[] {
  const version = cycle.allocation.version;
  return cycle.decisions.map((d) => ({
    type: 'optimizer_decision',
    ts: nowMs,
    eventId: `optimizer_decision:${version}:${d.campaignId}`,
    decisionId: `${version}:${d.campaignId}`,
    campaignId: d.campaignId,
    strategy: d.bandit,
    reason: d.reason,
    payload: {
      version,
      written: cycle.written,
      note: d.note,
      budgetArms: d.budgetArms,
      creativeGroups: d.creativeGroups,
      issues: [...d.issues, ...cycle.issues.filter((i) => i.campaignId === '*')].map((i) => ({
        code: i.code,
        message: i.message,
      })),
    },
  }));
}
