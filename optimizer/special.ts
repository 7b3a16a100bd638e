/**
 * Digamma ψ(x) and trigamma ψ'(x) for x > 0: the mean and variance of ln G for G ~ Gamma(x, 1),
 * which is what the log-normal Thompson sampler matches. No package on this machine provides them
 * (stdlib's are not installed); the method is the textbook one: recurrence up to x ≥ 10, then the
 * asymptotic series, accurate to ~1e-12 there (optimizer/special.test.ts checks known values).
 */
export function digamma(x: number): number {
  let acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return (
    acc + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132)))))
  );
}

/** Trigamma ψ'(x) for x > 0 (see digamma). */
export function trigamma(x: number): number {
  let acc = 0;
  while (x < 10) {
    acc += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  return acc + 1 / x + f / 2 + (f / x) * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f * (1 / 30))));
}
