import { ExpiringKeys, type ExpiringKeysOptions } from "./expiring-keys.js";

export type TtlMapOptions = ExpiringKeysOptions;

/** A map whose entries expire after a fixed time, bounded in size. */
export class TtlMap<V> {
  readonly #values = new Map<string, V>();
  readonly #keys: ExpiringKeys;

  constructor(options: TtlMapOptions) {
    this.#keys = new ExpiringKeys(options, (key) => this.#values.delete(key));
  }

  get size(): number {
    return this.#keys.size;
  }

  get(key: string): V | undefined {
    return this.#keys.has(key) ? this.#values.get(key) : undefined;
  }

  /** Sets `key` to `value` for a full TTL from now. */
  set(key: string, value: V): void {
    this.#keys.set(key);
    this.#values.set(key, value);
  }

  delete(key: string): void {
    this.#keys.delete(key);
  }
}
