import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/state/memory-store.js";
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
