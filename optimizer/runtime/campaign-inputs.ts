import type { Campaign, CampaignData } from '../../core/index.ts';
import type { CampaignInput } from '../optimize-campaign.ts';

/** The bandit a campaign uses unless it names one (`campaign.optimizer.bandit`). */
export const DEFAULT_BANDIT = 'thompson-capped';

function isLive(campaign: Campaign, nowMs: number): boolean {
  return (
    campaign.status === 'active' &&
    Date.parse(campaign.startAt) <= nowMs &&
    nowMs < Date.parse(campaign.endAt)
  );
}

/**
 * What the optimizer optimises, read from the campaign model: per active campaign in flight with a
 * goal (`clicks`, `conversions`, `value`) and at least two budget arms or two creatives, its line
 * items as budget arms sharing the daily budget (a line item targeting two or more segments is one
 * arm per segment), and each line item's creatives as one creative group. Goal caps come from `goal.targetMicros` (CPC, CPA, or ROAS × 1e6). Campaigns with goal
 * `none` are left alone: there is nothing to maximise.
 */
export function campaignInputs(data: CampaignData, nowMs: number): CampaignInput[] {
  const out: CampaignInput[] = advertiserInputs(data, nowMs);
  const shared = new Set(out.map((a) => a.advertiserId));
  for (const c of data.campaigns) {
    if (!isLive(c, nowMs) || c.goal.type === 'none') continue;
    const lineItems = data.lineItems.filter((li) => li.campaignId === c.id && li.status !== 'archived');
    if (lineItems.length === 0) continue;
    const creatives = new Map(data.creatives.map((cr) => [cr.id, cr]));
    const input: CampaignInput = {
      campaignId: c.id,
      dailyBudgetMicros: c.dailyBudgetMicros,
      ...(shared.has(c.advertiserId) && { sharedBy: c.advertiserId }),
      bandit: c.optimizer?.bandit ?? DEFAULT_BANDIT,
      goal: {
        kind: c.goal.type,
        cvrBase: 'click',
        ...(c.goal.targetMicros !== undefined && { capMicros: c.goal.targetMicros }),
      },
      // A line item targeting several segments is one arm per segment (`${lineItemId}:${segmentId}`).
      budgetArms: lineItems.flatMap((li) => {
        const status = li.status === 'active' ? ('active' as const) : ('paused' as const);
        const segments = [...new Set(li.targeting.segments ?? [])];
        return segments.length > 1
          ? segments.map((segmentId) => ({
              armId: `${li.id}:${segmentId}`,
              lineItemId: li.id,
              segmentId,
              status,
            }))
          : [{ armId: li.id, lineItemId: li.id, status }];
      }),
      creativeGroups: lineItems
        .filter((li) => li.creativeIds.length > 1)
        .map((li) => ({
          groupId: li.id,
          variants: li.creativeIds
            .filter((id) => creatives.has(id))
            .map((id) => ({ creativeId: id, status: 'active' as const })),
        })),
    };
    if (input.budgetArms.length > 1 || input.creativeGroups.length > 0) out.push(input);
  }
  return out;
}

/**
 * Advertisers whose live campaigns share the advertiser's daily budget
 * (`advertiser.optimizer.shareDailyBudget`, two campaigns at least): one input each, id
 * `adv:<advertiserId>`, its campaigns as budget arms towards the advertiser's goal. Listed first:
 * the cycle decides the campaigns' budgets before splitting each between its own arms.
 */
export function advertiserInputs(data: CampaignData, nowMs: number): CampaignInput[] {
  const out: CampaignInput[] = [];
  for (const a of data.advertisers) {
    if (a.optimizer === undefined || a.dailyBudgetMicros === undefined || a.status !== 'active') continue;
    const campaigns = data.campaigns.filter((c) => c.advertiserId === a.id && isLive(c, nowMs));
    if (campaigns.length < 2) continue;
    out.push({
      campaignId: `adv:${a.id}`,
      advertiserId: a.id,
      dailyBudgetMicros: a.dailyBudgetMicros,
      bandit: a.optimizer.bandit ?? DEFAULT_BANDIT,
      goal: { kind: a.optimizer.goal, cvrBase: 'click' },
      budgetArms: campaigns.map((c) => ({ armId: c.id, lineItemId: c.id, status: 'active' as const })),
      creativeGroups: [],
    });
  }
  return out;
}
