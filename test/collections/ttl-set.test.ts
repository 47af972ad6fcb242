import { describe, expect, it } from "vitest";
import { TtlSet } from "../../src/collections/ttl-set.js";

describe("TtlSet", () => {
  it("keeps an entry for its TTL and forgets it after", () => {
    let now = 0;
    const set = new TtlSet({ ttlMs: 1000, maxEntries: 10, now: () => now });
    expect(set.add("a")).toBe(true);
    now = 999;
    expect(set.add("a")).toBe(false);
    expect(set.has("a")).toBe(true);
    now = 1000;
    expect(set.has("a")).toBe(false);
    expect(set.add("a")).toBe(true);
  });

  it("prunes expired entries, so memory follows the live ones", () => {
    let now = 0;
    const set = new TtlSet({ ttlMs: 100, maxEntries: 1000, now: () => now });
    for (let i = 0; i < 500; i++) set.add(`k${i}`);
    now = 150;
    set.add("fresh");
    expect(set.size).toBe(1);
  });

  it("never holds more than maxEntries, dropping the oldest first", () => {
    const set = new TtlSet({ ttlMs: 60_000, maxEntries: 3, now: () => 0 });
    for (const key of ["a", "b", "c", "d"]) set.add(key);
    expect(set.size).toBe(3);
    expect(set.has("a")).toBe(false);
    expect(set.has("d")).toBe(true);
  });

  it("rejects nonsense options with a message quoting them", () => {
    expect(() => new TtlSet({ ttlMs: 0, maxEntries: 1 })).toThrow("ttlMs must be positive, got 0");
    expect(() => new TtlSet({ ttlMs: 1, maxEntries: 0 })).toThrow("maxEntries must be at least 1, got 0");
  });
});
