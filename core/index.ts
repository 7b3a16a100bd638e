export * from './campaign.ts';
export { type Clock, ManualClock, systemClock } from './clock.ts';
export { type ErrorDef, errorFrom, OutbidError } from './errors.ts';
export { redisKeys } from './keys.ts';
export { convertMicros, fromMicros, MICROS_PER_UNIT, type Micros, toMicros } from './money.ts';
export { furtherReason, NoBidReason, type NoBidReasonName } from './no-bid.ts';
export { idGenerator, type Rng, seededRng } from './rng.ts';
export type { StateStore } from './store/state-store.ts';
export { campaignDataProblems, entityProblems, isEntity } from './validate-campaign-data.ts';
