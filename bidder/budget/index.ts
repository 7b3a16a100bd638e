export {
  BUDGET_DENIAL_REASONS,
  type BudgetDenialReason,
  BudgetGate,
  type BudgetGateCounters,
  type BudgetGateOptions,
  type GateCampaignBudget,
  type GateSettleOutcome,
  type Reservation,
  type ReservationRef,
} from './budget-gate.ts';
