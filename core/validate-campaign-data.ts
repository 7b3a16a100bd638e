import { Compile } from 'typebox/compile';
import { type CampaignData, ENTITY_SCHEMAS, type EntityByKind, type EntityKind } from './campaign.ts';

const validators = {
  advertiser: Compile(ENTITY_SCHEMAS.advertiser),
  campaign: Compile(ENTITY_SCHEMAS.campaign),
  lineItem: Compile(ENTITY_SCHEMAS.lineItem),
  creative: Compile(ENTITY_SCHEMAS.creative),
  scoreTable: Compile(ENTITY_SCHEMAS.scoreTable),
  allocation: Compile(ENTITY_SCHEMAS.allocation),
};

/** Checks one entity against its schema; returns every problem as `path: message` (empty when valid). */
export function entityProblems(kind: EntityKind, value: unknown): string[] {
  const v = validators[kind];
  if (v.Check(value)) return [];
  return [...v.Errors(value)].map((e) => `${kind}${e.instancePath || ''}: ${e.message}`);
}

/** Narrows an unknown value to an entity of `kind`. */
export function isEntity<K extends EntityKind>(kind: K, value: unknown): value is EntityByKind[K] {
  return validators[kind].Check(value);
}

function timeZoneOk(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a whole campaign data set: every entity's schema, unique ids, references between
 * entities, time zones and flight order. Returns every problem found, not just the first.
 */
export function campaignDataProblems(data: CampaignData): string[] {
  const problems: string[] = [];
  const ids = {
    advertiser: new Set<string>(),
    campaign: new Set<string>(),
    lineItem: new Set<string>(),
    creative: new Set<string>(),
    scoreTable: new Set<string>(),
    allocation: new Set<string>(),
  };
  const lists: [EntityKind, readonly unknown[]][] = [
    ['advertiser', data.advertisers],
    ['campaign', data.campaigns],
    ['lineItem', data.lineItems],
    ['creative', data.creatives],
    ['scoreTable', data.scoreTables ?? []],
    ['allocation', data.allocations ?? []],
  ];
  for (const [kind, list] of lists) {
    list.forEach((entity, i) => {
      for (const p of entityProblems(kind, entity)) problems.push(`[${i}] ${p}`);
      if (kind === 'scoreTable') for (const p of nonFiniteWeights(entity)) problems.push(`[${i}] ${p}`);
      const id = (entity as { id?: unknown }).id;
      if (typeof id === 'string') {
        if (ids[kind].has(id)) problems.push(`${kind} ${id}: duplicate id`);
        ids[kind].add(id);
      }
    });
  }
  if (problems.length > 0) return problems;
  const creativeAdvertiser = new Map(data.creatives.map((c) => [c.id, c.advertiserId]));
  const campaignAdvertiser = new Map(data.campaigns.map((c) => [c.id, c.advertiserId]));
  for (const a of data.advertisers) {
    if (a.timeZone !== undefined && !timeZoneOk(a.timeZone))
      problems.push(`advertiser ${a.id}: unknown time zone ${a.timeZone}`);
    if (a.optimizer !== undefined && a.dailyBudgetMicros === undefined)
      problems.push(`advertiser ${a.id}: optimizer.shareDailyBudget needs a dailyBudgetMicros to share`);
  }
  for (const c of data.campaigns) {
    if (!ids.advertiser.has(c.advertiserId))
      problems.push(`campaign ${c.id}: unknown advertiser ${c.advertiserId}`);
    if (!timeZoneOk(c.timeZone)) problems.push(`campaign ${c.id}: unknown time zone ${c.timeZone}`);
    if (Date.parse(c.endAt) <= Date.parse(c.startAt))
      problems.push(`campaign ${c.id}: endAt must be after startAt`);
    if (c.dailyBudgetMicros > c.totalBudgetMicros)
      problems.push(`campaign ${c.id}: daily budget exceeds total budget`);
  }
  for (const c of data.creatives) {
    if (!ids.advertiser.has(c.advertiserId))
      problems.push(`creative ${c.id}: unknown advertiser ${c.advertiserId}`);
    if (c.format === 'banner' && (c.w === undefined || c.h === undefined)) {
      problems.push(`creative ${c.id}: banner creatives need w and h`);
    }
    if (c.format === 'native' ? c.native === undefined : c.markup === undefined) {
      problems.push(
        `creative ${c.id}: ${c.format === 'native' ? 'native creatives need native assets' : 'markup is required'}`,
      );
    }
  }
  for (const li of data.lineItems) {
    const advertiserId = campaignAdvertiser.get(li.campaignId);
    if (advertiserId === undefined) problems.push(`lineItem ${li.id}: unknown campaign ${li.campaignId}`);
    for (const crid of li.creativeIds) {
      const owner = creativeAdvertiser.get(crid);
      if (owner === undefined) problems.push(`lineItem ${li.id}: unknown creative ${crid}`);
      else if (advertiserId !== undefined && owner !== advertiserId) {
        problems.push(`lineItem ${li.id}: creative ${crid} belongs to another advertiser`);
      }
    }
    if (li.bidStrategy.type === 'fixed' && li.bidStrategy.cpmMicros > li.maxCpmMicros) {
      problems.push(`lineItem ${li.id}: fixed CPM above maxCpmMicros`);
    }
    for (const dp of li.targeting.dayParts ?? []) {
      if (dp.endHour <= dp.startHour)
        problems.push(`lineItem ${li.id}: day-part endHour must be after startHour`);
    }
  }
  const tableOf = new Map<string, string>();
  for (const t of data.scoreTables ?? []) {
    if (!ids.lineItem.has(t.lineItemId))
      problems.push(`scoreTable ${t.id}: unknown line item ${t.lineItemId}`);
    const other = tableOf.get(t.lineItemId);
    // Two tables for one line item leave the bidder to guess which one the optimizer meant.
    if (other !== undefined)
      problems.push(`scoreTable ${t.id}: line item ${t.lineItemId} already has ${other}`);
    else tableOf.set(t.lineItemId, t.id);
  }
  return problems;
}

/**
 * Names every weight of a score table that is not a finite number. The schema rejects these too;
 * this names the exact weight, because a NaN in a table would silently turn every score into NaN.
 */
function nonFiniteWeights(value: unknown): string[] {
  const out: string[] = [];
  const table = value as { id?: unknown; ctr?: unknown; cvr?: unknown };
  const visit = (path: string, node: unknown) => {
    if (typeof node === 'number') {
      if (!Number.isFinite(node))
        out.push(`scoreTable ${String(table.id)}: ${path} is ${node}, not a finite number`);
    } else if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) visit(`${path}.${k}`, v);
    }
  };
  if (typeof value === 'object' && value !== null) {
    visit('ctr', table.ctr);
    if (table.cvr !== undefined) visit('cvr', table.cvr);
  }
  return out;
}
