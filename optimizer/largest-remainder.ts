/**
 * Splits an integer `total` (micros) by `shares` into integers that sum exactly to `total`
 * (Hamilton's largest-remainder method): each part gets floor(total × share / Σshares), and the
 * units left over go one each to the largest fractional remainders, ties to the lower index so the
 * result is deterministic. A zero share always gets 0. All-zero shares split evenly.
 */
export function largestRemainder(total: number, shares: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0)
    throw new RangeError(`total must be a non-negative safe integer, got ${total}`);
  const n = shares.length;
  if (n === 0) return [];
  let sum = 0;
  for (const s of shares) {
    if (!(s >= 0) || !Number.isFinite(s)) throw new RangeError(`shares must be finite and ≥ 0, got ${s}`);
    sum += s;
  }
  const weights = sum > 0 ? shares : shares.map(() => 1);
  const wsum = sum > 0 ? sum : n;
  const parts = new Array<number>(n);
  const rema = new Array<number>(n);
  let given = 0;
  for (let i = 0; i < n; i++) {
    const exact = (total * weights[i]!) / wsum;
    const whole = Math.floor(exact);
    parts[i] = whole;
    rema[i] = weights[i]! > 0 ? exact - whole : -1;
    given += whole;
  }
  let left = total - given;
  if (left > 0) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => rema[b]! - rema[a]! || a - b);
    // Float error can make `left` exceed n by nothing more than rounding: cycle if it ever does.
    for (let k = 0; left > 0; k++, left--) parts[order[k % n]!]! += 1;
  }
  return parts;
}
