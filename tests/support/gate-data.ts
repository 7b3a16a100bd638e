import type { CampaignData, FrequencyCap } from '../../core/index.ts';

/** Small campaign data sets for the budget, pacing and frequency tests: banner 300x250 only, UTC, fixed CPMs. */

/** A line item bidding a fixed CPM on one site domain with creative `cr-1`. */
export function gateLineItem(
  id: string,
  campaignId: string,
  domain: string,
  cpmMicros: number,
  extra: { budgetShare?: number; frequencyCaps?: FrequencyCap[] } = {},
) {
  return {
    id,
    campaignId,
    name: id,
    status: 'active' as const,
    targeting: { domains: { allow: [domain] } },
    bidStrategy: { type: 'fixed' as const, cpmMicros },
    maxCpmMicros: cpmMicros,
    creativeIds: ['cr-1'],
    ...extra,
  };
}

/** A UTC campaign of `adv-1` with a total budget of ten days. */
export function gateCampaign(
  id: string,
  dailyBudgetMicros: number,
  extra: { pacing?: 'asap' | 'even'; frequencyCaps?: FrequencyCap[] } = {},
) {
  return {
    id,
    advertiserId: 'adv-1',
    name: id,
    status: 'active' as const,
    startAt: '2024-01-01T00:00:00Z',
    endAt: '2099-12-31T23:59:59Z',
    timeZone: 'UTC',
    totalBudgetMicros: dailyBudgetMicros * 10,
    dailyBudgetMicros,
    pacing: extra.pacing ?? ('asap' as const),
    goal: { type: 'none' as const },
    frequencyCaps: extra.frequencyCaps ?? [],
  };
}

/** The data set around these campaigns and line items: advertiser `adv-1` (with `advertiser` fields) and banner `cr-1`. */
export function gateData(
  campaigns: ReturnType<typeof gateCampaign>[],
  lineItems: ReturnType<typeof gateLineItem>[],
  advertiser: { dailyBudgetMicros?: number; timeZone?: string } = {},
): CampaignData {
  return {
    advertisers: [{ id: 'adv-1', name: 'Adv', domain: 'adv.example', status: 'active', ...advertiser }],
    campaigns,
    lineItems,
    creatives: [
      {
        id: 'cr-1',
        advertiserId: 'adv-1',
        name: 'banner',
        format: 'banner',
        w: 300,
        h: 250,
        markup: '<a href="{{CLICK_URL}}">ad</a>',
        adomain: ['adv.example'],
        categories: ['IAB17'],
        attributes: [],
        landingUrl: 'https://adv.example/',
      },
    ],
  } as unknown as CampaignData;
}

/** Fills the exchange macros of a notice URL as an exchange would. */
export function fillNotice(url: string, price: number): string {
  return url
    .replaceAll('${AUCTION_PRICE}', String(price))
    .replaceAll('${AUCTION_MIN_TO_WIN}', '')
    .replaceAll('${AUCTION_LOSS}', '102');
}
