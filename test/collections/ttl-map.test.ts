import { describe, expect, it } from "vitest";
import { TtlMap } from "../../src/collections/ttl-map.js";

describe("TtlMap", () => {
  it("entries expire, and the oldest go first past the bound", () => {
    let now = 0;
    const map = new TtlMap<number>({ ttlMs: 100, maxEntries: 2, now: () => now });
    map.set("a", 1);
    now = 50;
    map.set("b", 2);
    expect([map.get("a"), map.get("b")]).toEqual([1, 2]);
    now = 120;
    expect(map.get("a")).toBeUndefined();
    map.set("c", 3);
    expect(map.size).toBe(2);
    map.set("d", 4);
    expect([map.get("b"), map.get("c"), map.get("d")]).toEqual([undefined, 3, 4]);
    expect(map.size).toBe(2);
  });

  it("rejects nonsense bounds", () => {
    expect(() => new TtlMap({ ttlMs: 0, maxEntries: 1 })).toThrow(RangeError);
    expect(() => new TtlMap({ ttlMs: 1, maxEntries: 0 })).toThrow(RangeError);
  });
});

describe("TtlMap refresh", () => {
  it("gives a key set again a fresh lifetime", () => {
    let now = 0;
    const map = new TtlMap<string>({ ttlMs: 100, maxEntries: 10, now: () => now });
    map.set("a", "first");
    now = 80;
    map.set("a", "second");
    now = 150;
    expect(map.get("a")).toBe("second");
    now = 180;
    expect(map.get("a")).toBeUndefined();
  });
});
