/** BackoffOptions shape the reconnect delays. */
export interface BackoffOptions {
  /** delay before the first retry, in ms (default 500) */
  baseMs?: number;
  /** upper bound of any delay, in ms (default 30 000) */
  maxMs?: number;
  /** growth per attempt (default 2) */
  factor?: number;
  /** random source in [0, 1) (default Math.random) */
  random?: () => number;
}

/**
 * backoffDelay returns how long to wait before retry number `attempt`
 * (0-based): exponential growth capped at maxMs, with "equal jitter" — half
 * the window fixed, half random — so that a crowd of clients dropped by one
 * server restart does not come back in lockstep, yet no client retries
 * immediately.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const factor = opts.factor ?? 2;
  const random = opts.random ?? Math.random;
  const window = Math.min(max, base * factor ** Math.max(0, attempt));
  return Math.round(window / 2 + random() * (window / 2));
}
