export interface TtlMapOptions {
  /** How long an entry is remembered after it was set. */
  ttlMs: number;
  /** Hard bound on entries; the oldest go first past it. */
  maxEntries: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * A map whose entries expire after a fixed time, bounded in size. Every entry lives the same time, so
 * insertion order is expiry order and pruning only ever looks at the oldest entries: O(1) amortised
 * per call, and memory follows the live entries.
 */
export class TtlMap<V> {
  readonly #entries = new Map<string, { value: V; expiry: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: TtlMapOptions) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${options.ttlMs}`);
    if (!(options.maxEntries >= 1))
      throw new RangeError(`maxEntries must be at least 1, got ${options.maxEntries}`);
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? (() => Date.now());
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && entry.expiry > this.#now() ? entry.value : undefined;
  }

  set(key: string, value: V): void {
    const now = this.#now();
    for (const [oldKey, entry] of this.#entries) {
      if (entry.expiry > now) break;
      this.#entries.delete(oldKey);
    }
    // Re-inserting keeps the map in expiry order.
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiry: now + this.#ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}
