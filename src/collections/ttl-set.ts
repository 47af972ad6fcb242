import { TtlMap, type TtlMapOptions } from "./ttl-map.js";

/** A set whose entries expire after a fixed time, bounded in size (see TtlMap). */
export class TtlSet {
  readonly #entries: TtlMap<true>;

  constructor(options: TtlMapOptions) {
    this.#entries = new TtlMap(options);
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.get(key) !== undefined;
  }

  /** Adds `key` and returns true, or returns false (and keeps its expiry) when it is already there. */
  add(key: string): boolean {
    if (this.has(key)) return false;
    this.#entries.set(key, true);
    return true;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}
