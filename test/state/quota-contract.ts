import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { AcceptLimits, BridgeStore, QuotaCount } from "../../src/state/store.js";
import { entry } from "./contract.js";

const LIMITS: AcceptLimits = { maxPending: 100, maxPendingPerUser: 100, dedupeTtlMs: 60_000 };
const HOUR_MS = 3_600_000;

/** Limits with a person quota of `limit` per `windowMs` (and more quotas), asked in `channel`. */
function withQuota(
  limit: number,
  windowMs = HOUR_MS,
  channel: string | null = "slack:T1:C1",
  more: QuotaCount[] = [],
): AcceptLimits {
  const person: QuotaCount = { kind: "person", scope: "slack:u1", limit, windowMs };
  return { ...LIMITS, quota: { counts: [person, ...more], channel } };
}

/** The usage-quota part of accept in the BridgeStore contract: run inside runStoreContract. */
export function quotaContract(fresh: () => Promise<BridgeStore>): void {
  describe("usage quotas", () => {
    it("accepts up to the limit, then refuses with the limit and the time to reset, queuing nothing", async () => {
      const store = await fresh();
      const limits = withQuota(2);
      expect(await store.accept(entry("a"), limits)).toBe("queued");
      expect(await store.accept(entry("b"), limits)).toBe("queued");
      const refused = entry("c");
      const over = await store.accept(refused, limits);
      expect(over).toMatchObject({ over: "person", limit: 2, tell: true });
      if (typeof over !== "object") throw new Error("expected a refusal");
      expect(over.resetInMs).toBeGreaterThan(HOUR_MS - 60_000);
      expect(over.resetInMs).toBeLessThanOrEqual(HOUR_MS);
      // Remembered for dedupe: a redelivery of the refused question is a duplicate, told nothing again.
      expect(await store.accept({ ...refused }, limits)).toBe("duplicate");
      expect(await store.depth()).toBe(2);
    });

    it("does not count a redelivery or twin of a counted question again", async () => {
      const store = await fresh();
      const limits = withQuota(2);
      const first = entry("a");
      expect(await store.accept(first, limits)).toBe("queued");
      expect(await store.accept({ ...first }, limits)).toBe("duplicate");
      expect(await store.accept({ ...first, requestId: "twin" }, limits)).toBe("duplicate");
      expect(await store.accept(entry("b"), limits)).toBe("queued");
      expect(await store.accept(entry("c"), limits)).toMatchObject({ over: "person" });
    });

    it("does not count a question refused as busy", async () => {
      const store = await fresh();
      const limits = { ...withQuota(2), maxPending: 1 };
      expect(await store.accept(entry("a"), limits)).toBe("queued");
      expect(await store.accept(entry("b"), limits)).toBe("busy");
      const claim = await store.claim(["slack"], 30_000);
      if (claim === null) throw new Error("expected a ready session");
      expect(await store.complete(claim.lease, 30_000)).toBeNull();
      expect(await store.accept(entry("c"), limits)).toBe("queued");
      expect(await store.accept(entry("d"), limits)).toMatchObject({ over: "person" });
    });

    it("does not count a question refused by the quota itself", async () => {
      const store = await fresh();
      const limits = withQuota(1, 400);
      expect(await store.accept(entry("a"), limits)).toBe("queued");
      const over = await store.accept(entry("b"), limits);
      if (typeof over !== "object") throw new Error("expected a refusal");
      await sleep(over.resetInMs + 50);
      // Had the refused one been counted, the window would still be full.
      expect(await store.accept(entry("c"), limits)).toBe("queued");
    });

    it("slides: a question leaves the window its length after it was counted", async () => {
      const store = await fresh();
      const limits = withQuota(2, 500);
      expect(await store.accept(entry("a"), limits)).toBe("queued");
      await sleep(250);
      expect(await store.accept(entry("b"), limits)).toBe("queued");
      const over = await store.accept(entry("c"), limits);
      if (typeof over !== "object") throw new Error("expected a refusal");
      // The reset is when the oldest leaves: about 250 ms from now, not a whole window.
      expect(over.resetInMs).toBeLessThanOrEqual(260);
      await sleep(over.resetInMs + 50);
      expect(await store.accept(entry("d"), limits)).toBe("queued");
      expect(await store.accept(entry("e"), limits)).toMatchObject({ over: "person" });
    });

    it("tells the first refusal in a channel per window, and every one in a DM", async () => {
      const store = await fresh();
      const limits = withQuota(1);
      expect(await store.accept(entry("a"), limits)).toBe("queued");
      expect(await store.accept(entry("b"), limits)).toMatchObject({ tell: true });
      expect(await store.accept(entry("c"), limits)).toMatchObject({ tell: false });
      expect(await store.accept(entry("d"), withQuota(1, HOUR_MS, "slack:T1:C2"))).toMatchObject({
        tell: true,
      });
      const dm = withQuota(1, HOUR_MS, null);
      expect(await store.accept(entry("e"), dm)).toMatchObject({ tell: true });
      expect(await store.accept(entry("f"), dm)).toMatchObject({ tell: true });
    });

    it("counts every quota of a question, and of two used up names the one that resets last", async () => {
      const store = await fresh();
      const workspace = (limit: number, windowMs = HOUR_MS): QuotaCount => ({
        kind: "workspace",
        scope: "slack:T1",
        limit,
        windowMs,
      });
      expect(await store.accept(entry("a"), withQuota(5, HOUR_MS, "c", [workspace(2)]))).toBe("queued");
      // Another person of the same workspace: counted in the workspace's quota only.
      const other: AcceptLimits = { ...LIMITS, quota: { counts: [workspace(2)], channel: "c" } };
      expect(await store.accept(entry("b", "u2"), other)).toBe("queued");
      expect(await store.accept(entry("c"), withQuota(5, HOUR_MS, "c", [workspace(2)]))).toMatchObject({
        over: "workspace",
        limit: 2,
      });
      // Person used up over a short window, workspace over an hour: the hour is what the person waits for.
      const both = withQuota(1, 1000, "c", [workspace(2)]);
      expect(await store.accept(entry("d"), both)).toMatchObject({ over: "workspace" });
    });

    it("keeps one window per scope: another person is not limited by this one's questions", async () => {
      const store = await fresh();
      expect(await store.accept(entry("a"), withQuota(1))).toBe("queued");
      const someoneElse: AcceptLimits = {
        ...LIMITS,
        quota: { counts: [{ kind: "person", scope: "slack:u2", limit: 1, windowMs: HOUR_MS }], channel: "c" },
      };
      expect(await store.accept(entry("b", "u2"), someoneElse)).toBe("queued");
      expect(await store.accept(entry("c"), withQuota(1))).toMatchObject({ over: "person" });
    });
  });
}
