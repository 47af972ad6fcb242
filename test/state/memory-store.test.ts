import { describe, expect, it } from "vitest";
import { MemoryStore, StartWindow } from "../../src/state/memory-store.js";
import { entry, runStoreContract } from "./contract.js";

runStoreContract("MemoryStore", async () => new MemoryStore());

describe("MemoryStore", () => {
  it("is not shared between processes", () => {
    expect(new MemoryStore().shared).toBe(false);
  });

  it("keeps its dedupe memory bounded, forgetting the oldest keys first", async () => {
    const store = new MemoryStore({ maxDedupeEntries: 2 });
    for (const key of ["a", "b", "c"]) expect(await store.once(key, 60_000)).toBe(true);
    expect(await store.once("a", 60_000)).toBe(true);
    expect(await store.once("c", 60_000)).toBe(false);
  });

  it("pushes 100,000 threads through with nothing left behind but their dedupe keys", async () => {
    const store = new MemoryStore();
    const limits = { maxPending: 1_000, maxPendingPerUser: 5, dedupeTtlMs: 60_000 };
    for (let i = 0; i < 100_000; i++) {
      if ((await store.accept(entry(`t${i}`, `u${i % 500}`), limits)) !== "queued")
        throw new Error("refused");
      const claim = await store.claim(["slack"], 30_000);
      if (claim === null) throw new Error("nothing ready");
      if ((await store.complete(claim.lease, 30_000)) !== null) throw new Error("session not emptied");
    }
    expect(await store.depth()).toBe(0);
    expect(await store.claim(["slack"], 30_000)).toBeNull();
    expect(await store.recoverExpired()).toBe(0);
  });
});

describe("StartWindow", () => {
  it("lets `limit` starts go at once, then holds the next until the oldest is an interval old", () => {
    const window = new StartWindow(3, 1000);
    for (const at of [0, 10, 20]) {
      expect(window.waitMs(at)).toBe(0);
      window.record(at);
    }
    expect(window.waitMs(500)).toBe(500);
    expect(window.waitMs(1000)).toBe(0);
    window.record(1000);
    expect(window.waitMs(1000)).toBe(10);
  });

  it("counts from when a start was recorded, so a late send pushes the next window back", () => {
    const window = new StartWindow(1, 100);
    // Decided at 0, but the request went out at 7 (a pause in between): the next may go at 107, not 100.
    window.record(7);
    expect(window.waitMs(100)).toBe(7);
    expect(window.waitMs(107)).toBe(0);
  });

  it("rejects nonsense options with a message quoting them", () => {
    expect(() => new StartWindow(0, 100)).toThrow("limit must be at least 1, got 0");
    expect(() => new StartWindow(1, 0)).toThrow("intervalMs must be positive, got 0");
  });
});
