export interface TtlSetOptions {
  /** How long an entry is remembered. */
  ttlMs: number;
  /** Hard bound on entries; the oldest go first past it. */
  maxEntries: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * A set whose entries expire. Every entry lives the same time, so insertion order is expiry order
 * and pruning only ever looks at the oldest entries: O(1) amortised per call, bounded memory.
 */
export class TtlSet {
  readonly #expiry = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: TtlSetOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${options.ttlMs}`);
    if (!(options.maxEntries >= 1))
      throw new RangeError(`maxEntries must be at least 1, got ${options.maxEntries}`);
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? (() => Date.now());
  }

  get size(): number {
    return this.#expiry.size;
  }

  has(key: string): boolean {
    const expiry = this.#expiry.get(key);
    return expiry !== undefined && expiry > this.#now();
  }

  /** Adds `key` and returns true, or returns false when it is already there. */
  add(key: string): boolean {
    const now = this.#now();
    this.#prune(now);
    if (this.#expiry.has(key)) return false;
    this.#expiry.set(key, now + this.#ttlMs);
    if (this.#expiry.size > this.#maxEntries) {
      const oldest = this.#expiry.keys().next().value;
      if (oldest !== undefined) this.#expiry.delete(oldest);
    }
    return true;
  }

  delete(key: string): void {
    this.#expiry.delete(key);
  }

  #prune(now: number): void {
    for (const [key, expiry] of this.#expiry) {
      if (expiry > now) return;
      this.#expiry.delete(key);
    }
  }
}
