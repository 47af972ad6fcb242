import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { Turn } from "../../src/assistant/types.js";
import type { AcceptLimits, BridgeStore, HistoryAppend } from "../../src/state/store.js";
import type { Reply } from "../../src/types.js";
import { entry } from "./contract.js";

const LIMITS: AcceptLimits = { maxPending: 100, maxPendingPerUser: 100, dedupeTtlMs: 60_000 };
const LEASE_MS = 30_000;
const DAY_MS = 24 * 3_600_000;

function replyTo(requestId: string): Reply {
  return { kind: "answer", text: "the answer", requestId, feedback: null };
}

/** The history step of the BridgeStore contract: run inside runStoreContract with its fresh stores. */
export function historyContract(fresh: () => Promise<BridgeStore>): void {
  /** Takes one message of `thread` through claim, record (with its turn) and complete. */
  async function answer(store: BridgeStore, thread: string, turn: Turn, bound = 1000, ttlMs = DAY_MS) {
    const queued = entry(thread);
    expect(await store.accept(queued, LIMITS)).toBe("queued");
    const claim = await store.claim(["slack"], LEASE_MS);
    if (claim === null) throw new Error("expected a ready session");
    const append: HistoryAppend = { turn, maxChars: bound, ttlMs };
    expect(await store.recordReply(claim.lease, replyTo(queued.requestId), append)).toBe(true);
    expect(await store.complete(claim.lease, LEASE_MS)).toBeNull();
    return queued.sessionId;
  }

  describe("history", () => {
    it("is empty for a session with none, and keeps each session's turns in order, apart", async () => {
      const store = await fresh();
      expect(await store.history(entry("none").sessionId)).toEqual([]);
      const a = await answer(store, "a", { question: "a1?", answer: "a1." });
      const b = await answer(store, "b", { question: "b1?", answer: "b1." });
      await answer(store, "a", { question: "a2?", answer: "a2." });
      expect(await store.history(a)).toEqual([
        { question: "a1?", answer: "a1." },
        { question: "a2?", answer: "a2." },
      ]);
      expect(await store.history(b)).toEqual([{ question: "b1?", answer: "b1." }]);
    });

    it("drops the oldest whole turns past the bound, and keeps none longer than the bound", async () => {
      const store = await fresh();
      const turn = (n: number) => ({ question: `q${n}`, answer: "x".repeat(38) }); // 40 characters
      let session = "";
      for (let n = 1; n <= 3; n++) session = await answer(store, "t", turn(n), 100);
      expect(await store.history(session)).toEqual([turn(2), turn(3)]);
      // 80 + 19: Unicode counts as JavaScript counts it (UTF-16 units), on every store.
      await answer(store, "t", { question: "é", answer: "🙂".repeat(9) }, 100);
      expect((await store.history(session)).map((t) => t.question)).toEqual(["q2", "q3", "é"]);
      await answer(store, "t", { question: "q", answer: "y".repeat(200) }, 100);
      expect(await store.history(session)).toEqual([]);
    });

    it("appends nothing when the lease is lost, and once only when the step runs twice", async () => {
      const store = await fresh();
      const queued = entry("r");
      await store.accept(queued, LIMITS);
      const claim = await store.claim(["slack"], LEASE_MS);
      if (claim === null) throw new Error("expected a ready session");
      const append = { turn: { question: "q", answer: "a" }, maxChars: 1000, ttlMs: DAY_MS };
      const stale = { ...claim.lease, token: "not-ours" };
      expect(await store.recordReply(stale, replyTo("x"), append)).toBe(false);
      expect(await store.history(queued.sessionId)).toEqual([]);
      expect(await store.recordReply(claim.lease, replyTo("x"), append)).toBe(true);
      expect(await store.recordReply(claim.lease, replyTo("x"), append)).toBe(true);
      expect(await store.history(queued.sessionId)).toEqual([{ question: "q", answer: "a" }]);
    });

    it("records a reply without a turn as before, leaving the history alone", async () => {
      const store = await fresh();
      const session = await answer(store, "n", { question: "q", answer: "a" });
      const queued = entry("n");
      await store.accept(queued, LIMITS);
      const claim = await store.claim(["slack"], LEASE_MS);
      if (claim === null) throw new Error("expected a ready session");
      expect(await store.recordReply(claim.lease, replyTo("y"))).toBe(true);
      expect(await store.history(session)).toEqual([{ question: "q", answer: "a" }]);
    });

    it("expires the history its TTL after the last turn", async () => {
      const store = await fresh();
      const session = await answer(store, "e", { question: "q", answer: "a" }, 1000, 150);
      await sleep(60);
      await answer(store, "e", { question: "q2", answer: "a2" }, 1000, 150);
      await sleep(100);
      // 160 ms after the first turn, 100 ms after the last: kept, both.
      expect(await store.history(session)).toHaveLength(2);
      await sleep(200);
      expect(await store.history(session)).toEqual([]);
    });
  });
}
