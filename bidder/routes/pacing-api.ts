import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { BidGates } from '../gates/bid-gates.ts';
import { checkAdmin } from './profiles-api.ts';

/**
 * `GET /api/v1/pacing` (admin key): what the dashboard charts — per campaign the pacing state of
 * this instance (target vs actual spend per hour, throttle rate, controller terms) and per budget
 * the local lease balance, plus the gate counters.
 */
export async function pacingApi(app: FastifyInstance, o: { config: Config; gates: BidGates }): Promise<void> {
  app.get('/api/v1/pacing', async (req, reply) => {
    if (!checkAdmin(o.config, req, reply)) return reply;
    return {
      campaigns: o.gates.pacingStates(),
      budgets: o.gates.balances(),
      budgetStoreDown: o.gates.budget.storeDown,
      queuedSettlements: o.gates.budget.queuedSettlements,
      counters: { budget: o.gates.budgetCounters(), frequency: o.gates.frequencyCounters() },
    };
  });
}
