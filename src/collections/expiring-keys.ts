export interface ExpiringKeysOptions {
  /** How long a key is remembered after it was set. */
  ttlMs: number;
  /** Hard bound on keys; the oldest go first past it. */
  maxEntries: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Keys that expire after a fixed time, bounded in number: the memory under TtlSet and TtlMap. Every
 * key lives the same time, so insertion order is expiry order and pruning only looks at the oldest
 * keys (O(1) amortised). Kept lean because the dedupe set holds one key per message: expiries are
 * milliseconds since construction (small integers V8 stores unboxed for 12 days of uptime), and keys
 * are interned, since a key built by concatenation would otherwise stay a tree of its parts.
 */
export class ExpiringKeys {
  readonly #expiry = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #epoch: number;
  readonly #onDrop: (key: string) => void;

  constructor(options: ExpiringKeysOptions, onDrop: (key: string) => void = () => {}) {
    if (!(options.ttlMs > 0)) throw new RangeError(`ttlMs must be positive, got ${options.ttlMs}`);
    if (!(options.maxEntries >= 1)) {
      throw new RangeError(`maxEntries must be at least 1, got ${options.maxEntries}`);
    }
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? (() => Date.now());
    this.#epoch = this.#now();
    this.#onDrop = onDrop;
  }

  get size(): number {
    return this.#expiry.size;
  }

  has(key: string): boolean {
    const expiry = this.#expiry.get(key);
    return expiry !== undefined && expiry > this.#clock();
  }

  /** Remembers `key` for a full TTL from now (also when it was there already). */
  set(key: string): void {
    const now = this.#clock();
    this.#prune(now);
    // Deleting first keeps the map in expiry order.
    if (!this.#expiry.delete(key)) key = intern(key);
    this.#expiry.set(key, now + this.#ttlMs);
    if (this.#expiry.size > this.#maxEntries) {
      const oldest = this.#expiry.keys().next().value;
      if (oldest !== undefined) this.delete(oldest);
    }
  }

  delete(key: string): void {
    if (this.#expiry.delete(key)) this.#onDrop(key);
  }

  #clock(): number {
    return this.#now() - this.#epoch;
  }

  #prune(now: number): void {
    for (const [key, expiry] of this.#expiry) {
      if (expiry > now) return;
      this.delete(key);
    }
  }
}

/** A flat, internalized copy of `key` (property keys are internalized by V8). */
function intern(key: string): string {
  for (const flat in { [key]: 0 }) return flat;
  return key;
}
