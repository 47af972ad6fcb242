/**
 * The last `limit` call starts: the memory store's sliding window. The store checks it, starts the
 * call and records when it left, in one synchronous step, so no window of `intervalMs` ever holds
 * more than `limit` calls that left, whatever pauses happen.
 */
export class StartWindow {
  readonly #starts: number[] = [];
  readonly #limit: number;
  readonly #intervalMs: number;
  #oldest = 0;

  constructor(limit: number, intervalMs: number) {
    if (!(limit >= 1)) throw new RangeError(`limit must be at least 1, got ${limit}`);
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
    this.#limit = limit;
    this.#intervalMs = intervalMs;
  }

  /** Milliseconds to wait before one more start at `now` keeps the window within the limit (0: go). */
  waitMs(now: number): number {
    if (this.#starts.length < this.#limit) return 0;
    const oldest = this.#starts[this.#oldest] ?? Number.NEGATIVE_INFINITY;
    return Math.max(0, oldest + this.#intervalMs - now);
  }

  /** Notes a start that has happened (call it after the request went out). */
  record(now: number): void {
    if (this.#starts.length < this.#limit) {
      this.#starts.push(now);
      return;
    }
    this.#starts[this.#oldest] = now;
    this.#oldest = (this.#oldest + 1) % this.#limit;
  }
}
