/**
 * A token bucket: up to `perMinute` takes a minute, refilled continuously, with a burst of a whole
 * minute's worth. For calls a platform limits per minute, where going over would only earn 429s.
 */
export class TokenBucket {
  readonly #perMinute: number;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;

  constructor(options: {
    perMinute: number;
    /** The clock, in milliseconds. @default performance.now */
    now?: () => number;
  }) {
    if (!(options.perMinute >= 0))
      throw new RangeError(`perMinute must be 0 or more, got ${options.perMinute}`);
    this.#perMinute = options.perMinute;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = this.#perMinute;
    this.#refilledAt = this.#now();
  }

  /** Takes one token; false when this minute's budget is spent. */
  take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(
      this.#perMinute,
      this.#tokens + ((now - this.#refilledAt) * this.#perMinute) / 60_000,
    );
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
