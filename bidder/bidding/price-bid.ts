import type { LineItem } from '../../core/index.ts';

/**
 * The CPM (account micros) a line item bids for an impression whose floor is `floorMicros`, or
 * undefined when it will not bid that high. Never above the line item's `maxCpmMicros`.
 */
export function priceBid(li: LineItem, floorMicros: number): number | undefined {
  const s = li.bidStrategy;
  let price: number;
  switch (s.type) {
    case 'fixed':
      price = s.cpmMicros;
      break;
    case 'max':
      price = Math.max(s.targetCpmMicros, floorMicros);
      break;
  }
  if (price > li.maxCpmMicros || price < floorMicros || price <= 0) return undefined;
  return price;
}
