/**
 * Slack limits `conversations.replies` per app and method: Tier 3 (about 50 a minute) for internal
 * apps, 1 a minute for apps distributed commercially outside the Marketplace. Two callers share it,
 * the poster's look-ups of timed-out posts and the thread-context reads of new sessions, so the
 * adapter gives the method ONE pace: one budget (SLACK_LOOKUPS_PER_MINUTE, a token bucket with a
 * minute's burst, so a read of a few pages goes at once) and one memory of the last 429's
 * Retry-After. A look-up waits its turn; a context read takes one now or does without.
 */
import { TokenBucket } from "../../src/collections/token-bucket.js";

/** How often a waiting look-up tries again for a token, at most (the bucket refills continuously). */
const POLL_MS = 1_000;

export class RepliesPace {
  readonly #bucket: TokenBucket;
  readonly #now: () => number;
  readonly #pollMs: number;
  /** Until when Slack asked for no call (its last 429's Retry-After), on `now`'s clock. */
  #limitedUntil = Number.NEGATIVE_INFINITY;
  /** Callers waiting in turn(): a caller that would not wait never goes before them. */
  #waiting = 0;

  constructor(options: {
    perMinute: number;
    /** Milliseconds, monotonic: the poster's clock, so tests can speed both up. @default performance.now */
    now?: () => number;
  }) {
    if (!(options.perMinute > 0))
      throw new RangeError(`conversations.replies per minute must be positive, got ${options.perMinute}`);
    this.#now = options.now ?? (() => performance.now());
    this.#bucket = new TokenBucket({ perMinute: options.perMinute, now: this.#now });
    this.#pollMs = Math.min(POLL_MS, 60_000 / options.perMinute);
  }

  /** One call now, if the budget has one, no 429 holds and nobody waits; false: do without. */
  tryTake(): boolean {
    return this.#waiting === 0 && this.limitedForMs() === 0 && this.#bucket.take();
  }

  /**
   * Waits for a call's turn through `wait` (the caller's own, e.g. charged to a budget), which
   * resolves false when the caller gives up: then so does this.
   */
  async turn(wait: (ms: number) => Promise<boolean>): Promise<boolean> {
    this.#waiting++;
    try {
      for (;;) {
        const limitedMs = this.limitedForMs();
        if (limitedMs === 0 && this.#bucket.take()) return true;
        if (!(await wait(limitedMs > 0 ? limitedMs : this.#pollMs))) return false;
      }
    } finally {
      this.#waiting--;
    }
  }

  /** A 429 from either caller: no call before its Retry-After. */
  limited(retryAfterMs: number): void {
    this.#limitedUntil = Math.max(this.#limitedUntil, this.#now() + retryAfterMs);
  }

  /** How long Slack's last 429 still holds every call; 0 when it does not. */
  limitedForMs(): number {
    return Math.max(0, this.#limitedUntil - this.#now());
  }
}
