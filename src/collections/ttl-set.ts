import { ExpiringKeys, type ExpiringKeysOptions } from "./expiring-keys.js";

/** A set whose entries expire after a fixed time, bounded in size. */
export class TtlSet {
  readonly #keys: ExpiringKeys;

  constructor(options: ExpiringKeysOptions) {
    this.#keys = new ExpiringKeys(options);
  }

  get size(): number {
    return this.#keys.size;
  }

  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** Adds `key` and returns true, or returns false (and keeps its expiry) when it is already there. */
  add(key: string): boolean {
    if (this.#keys.has(key)) return false;
    this.#keys.set(key);
    return true;
  }

  delete(key: string): void {
    this.#keys.delete(key);
  }
}
