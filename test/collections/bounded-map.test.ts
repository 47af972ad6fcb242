import { describe, expect, it } from "vitest";
import { BoundedMap } from "../../src/collections/bounded-map.js";

describe("BoundedMap", () => {
  it("forgets the least recently used entry past its bound", () => {
    const map = new BoundedMap<string, number>(2);
    map.set("a", 1);
    map.set("b", 2);
    expect(map.get("a")).toBe(1); // "a" is now the most recently used
    map.set("c", 3);
    expect(map.size).toBe(2);
    expect(map.get("b")).toBeUndefined();
    expect([map.get("a"), map.get("c")]).toEqual([1, 3]);
  });

  it("rejects a nonsense bound with a message quoting it", () => {
    expect(() => new BoundedMap(0)).toThrow("maxEntries must be at least 1, got 0");
  });
});
