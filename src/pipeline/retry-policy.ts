import { AssistantNetworkError, RateLimitedError } from "../assistant/errors.js";

/** Back-off when Twilio gives no `Retry-After`: exponential from this base ... */
const BACKOFF_BASE_MS = 500;
/** ... capped here. */
const BACKOFF_CAP_MS = 30_000;

/**
 * How long to pause before retrying `error`, or null when it must not be retried. Only errors that
 * guarantee no assistant turn was created are retried: 429/20429 and requests that never left
 * this host. A timeout, reset or 5xx may already have produced a turn, so retrying could answer twice.
 */
export function retryDelayMs(
  error: unknown,
  attempt: number,
  random: () => number = Math.random,
): number | null {
  if (error instanceof RateLimitedError) return error.retryAfterMs ?? backoffMs(attempt, random);
  if (error instanceof AssistantNetworkError && !error.mayHaveBeenProcessed)
    return backoffMs(attempt, random);
  return null;
}

/** Capped exponential back-off with "equal jitter": half fixed, half random, so retries spread out. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
