import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { AcceptLimits, BridgeStore, Lease, QueuedMessage } from "../../src/state/store.js";
import type { ChatMessage, Platform, Reply } from "../../src/types.js";
import { historyContract } from "./history-contract.js";
import { quotaContract } from "./quota-contract.js";

/** The fenced start of a session's call (no rate limit to speak of): true when granted, false when the lease is lost. */
export async function callStarted(store: BridgeStore, lease: Lease): Promise<boolean> {
  return (await store.acquireStart(1_000_000, 1, lease)) === 0;
}

/** An unfenced start (a feedback call's): 0, or the wait; never "lost". */
async function startWait(store: BridgeStore, limit: number, windowMs: number): Promise<number> {
  const wait = await store.acquireStart(limit, windowMs);
  if (wait === "lost") throw new Error("an unfenced start cannot lose a lease");
  return wait;
}

const LIMITS: AcceptLimits = { maxPending: 100, maxPendingPerUser: 100, dedupeTtlMs: 60_000 };
const LEASE_MS = 30_000;

let counter = 0;

/** A queued message of `session` (a thread) from `user`; every call gets a new dedupe key. */
export function entry(session = "s1", user = "u1", platform: Platform = "slack"): QueuedMessage {
  const id = `m${++counter}`;
  const message: ChatMessage = {
    platform,
    workspace: "T1",
    channel: "C1",
    thread: session,
    user,
    text: `question ${id}`,
    id,
    address: { channel: "C1" },
  };
  return {
    key: `${platform}:${id}`,
    requestId: `req-${id}`,
    sessionId: `${platform}__T1/C1/${session}`,
    userKey: `${platform}:T1:${user}`,
    identity: `user_id:${platform}_T1_${user}`,
    message,
  };
}

/** Claims and fails the test when nothing is ready. */
async function mustClaim(store: BridgeStore, leaseMs = LEASE_MS, platforms: Platform[] = ["slack"]) {
  const claim = await store.claim(platforms, leaseMs);
  if (claim === null) throw new Error("expected a ready session");
  return claim;
}

/** Resolves with how long `waitForWork` took. */
async function timedWait(store: BridgeStore, timeoutMs: number, signal = new AbortController().signal) {
  const started = performance.now();
  await store.waitForWork(["slack"], timeoutMs, signal);
  return performance.now() - started;
}

const reply: Reply = {
  kind: "answer",
  text: "**the** answer",
  requestId: "req-x",
  feedback: { sessionId: "slack__T/C/1", answerId: "req-x" },
};

/**
 * The behaviour every BridgeStore must have, run against each implementation. `makeStore` gives a
 * fresh, empty store for every test.
 */
export function runStoreContract(name: string, makeStore: () => Promise<BridgeStore>): void {
  describe(`${name}: the BridgeStore contract`, () => {
    const open: BridgeStore[] = [];
    const fresh = async () => {
      const store = await makeStore();
      open.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((store) => store.close()));
    });

    describe("intake", () => {
      it("takes a message once and calls its redelivery a duplicate", async () => {
        const store = await fresh();
        const first = entry();
        expect(await store.accept(first, LIMITS)).toBe("queued");
        expect(await store.accept({ ...first }, LIMITS)).toBe("duplicate");
        expect(await store.depth()).toBe(1);
      });

      it("answers busy at the limit over the whole store, and remembers the busy key", async () => {
        const store = await fresh();
        const limits = { ...LIMITS, maxPending: 2 };
        expect(await store.accept(entry("a", "u1"), limits)).toBe("queued");
        expect(await store.accept(entry("b", "u2"), limits)).toBe("queued");
        const third = entry("c", "u3");
        expect(await store.accept(third, limits)).toBe("busy");
        expect(await store.accept(third, limits)).toBe("duplicate");
        expect(await store.depth()).toBe(2);
      });

      it("answers busy at the limit of one user, while other users still get in", async () => {
        const store = await fresh();
        const limits = { ...LIMITS, maxPendingPerUser: 2 };
        expect(await store.accept(entry("a", "ann"), limits)).toBe("queued");
        expect(await store.accept(entry("b", "ann"), limits)).toBe("queued");
        expect(await store.accept(entry("c", "ann"), limits)).toBe("busy");
        expect(await store.accept(entry("c", "bob"), limits)).toBe("queued");
      });

      it("frees the counts when a message completes", async () => {
        const store = await fresh();
        const limits = { ...LIMITS, maxPending: 1 };
        expect(await store.accept(entry("a"), limits)).toBe("queued");
        expect(await store.accept(entry("b"), limits)).toBe("busy");
        const claim = await mustClaim(store);
        expect(await store.complete(claim.lease, LEASE_MS)).toBeNull();
        expect(await store.depth()).toBe(0);
        expect(await store.accept(entry("b"), limits)).toBe("queued");
      });

      it("remembers keys with once until forgotten, sharing the memory of accepted keys", async () => {
        const store = await fresh();
        expect(await store.once("k1", 60_000)).toBe(true);
        expect(await store.once("k1", 60_000)).toBe(false);
        await store.forget("k1");
        expect(await store.once("k1", 60_000)).toBe(true);
        const queued = entry();
        await store.accept(queued, LIMITS);
        expect(await store.once(queued.key, 60_000)).toBe(false);
      });

      it("forgets a once key after its TTL", async () => {
        const store = await fresh();
        expect(await store.once("short", 80)).toBe(true);
        await sleep(150);
        expect(await store.once("short", 80)).toBe(true);
      });
    });

    describe("sessions and leases", () => {
      it("hands out the messages of a session in order, each after the previous completes", async () => {
        const store = await fresh();
        const messages = [entry("s"), entry("s"), entry("s")];
        for (const m of messages) await store.accept(m, LIMITS);
        const claim = await mustClaim(store);
        expect(claim.head).toEqual({ entry: messages[0], phase: "queued", reply: null });
        const second = await store.complete(claim.lease, LEASE_MS);
        expect(second).toEqual({ entry: messages[1], phase: "queued", reply: null });
        const third = await store.complete(claim.lease, LEASE_MS);
        expect(third).toMatchObject({ entry: messages[2] });
        expect(await store.complete(claim.lease, LEASE_MS)).toBeNull();
        expect(await store.claim(["slack"], LEASE_MS)).toBeNull();
        expect(await store.depth()).toBe(0);
      });

      it("gives a leased session to nobody else, and other sessions to other workers", async () => {
        const store = await fresh();
        await store.accept(entry("a"), LIMITS);
        await store.accept(entry("a"), LIMITS);
        await store.accept(entry("b"), LIMITS);
        const first = await mustClaim(store);
        const second = await mustClaim(store);
        expect(second.lease.sessionId).not.toBe(first.lease.sessionId);
        expect(second.lease.token).not.toBe(first.lease.token);
        expect(await store.claim(["slack"], LEASE_MS)).toBeNull();
      });

      it("makes a session that gets a message while leased wait for its holder", async () => {
        const store = await fresh();
        await store.accept(entry("a"), LIMITS);
        const claim = await mustClaim(store);
        const later = entry("a");
        await store.accept(later, LIMITS);
        expect(await store.claim(["slack"], LEASE_MS)).toBeNull();
        expect(await store.complete(claim.lease, LEASE_MS)).toMatchObject({ entry: later });
      });

      it("claims only sessions of the platforms asked for", async () => {
        const store = await fresh();
        const discord = entry("d", "u1", "discord");
        await store.accept(discord, LIMITS);
        expect(await store.claim(["slack", "console"], LEASE_MS)).toBeNull();
        const claim = await mustClaim(store, LEASE_MS, ["slack", "discord"]);
        expect(claim.head.entry).toEqual(discord);
      });

      it("serves sessions first come, first served", async () => {
        const store = await fresh();
        for (const s of ["x", "y", "z"]) await store.accept(entry(s), LIMITS);
        const order: string[] = [];
        for (let i = 0; i < 3; i++) order.push((await mustClaim(store)).head.entry.message.thread);
        expect(order).toEqual(["x", "y", "z"]);
      });

      it("keeps phases and the recorded reply when a session is released and claimed again", async () => {
        const store = await fresh();
        const first = entry("s");
        await store.accept(first, LIMITS);
        await store.accept(entry("s"), LIMITS);
        let claim = await mustClaim(store);
        expect(await callStarted(store, claim.lease)).toBe(true);
        await store.release(claim.lease);
        claim = await mustClaim(store);
        expect(claim.head).toEqual({ entry: first, phase: "started", reply: null });
        expect(await store.recordReply(claim.lease, reply)).toBe(true);
        await store.release(claim.lease);
        claim = await mustClaim(store);
        expect(claim.head).toEqual({ entry: first, phase: "answered", reply });
        const next = await store.complete(claim.lease, LEASE_MS);
        expect(next).toMatchObject({ phase: "queued", reply: null });
      });

      it("fences a lease that expired and was taken over: every change by the old holder is refused", async () => {
        const store = await fresh();
        const first = entry("s");
        await store.accept(first, LIMITS);
        await store.accept(entry("s"), LIMITS);
        const stale = await mustClaim(store, 60);
        await sleep(120);
        expect(await store.recoverExpired()).toBe(1);
        const fresh2 = await mustClaim(store);
        expect(fresh2.head.entry).toEqual(first);
        expect(await callStarted(store, stale.lease)).toBe(false);
        expect(await store.recordReply(stale.lease, reply)).toBe(false);
        expect(await store.renew(stale.lease, LEASE_MS)).toBe(false);
        expect(await store.complete(stale.lease, LEASE_MS)).toBe("lost");
        await store.release(stale.lease); // ignored
        expect(await store.claim(["slack"], LEASE_MS)).toBeNull();
        expect(await store.depth()).toBe(2);
        // The new holder is untouched by all that.
        expect(await callStarted(store, fresh2.lease)).toBe(true);
        expect(await store.complete(fresh2.lease, LEASE_MS)).toMatchObject({ phase: "queued" });
      });

      it("refuses a made-up token", async () => {
        const store = await fresh();
        await store.accept(entry("s"), LIMITS);
        const claim = await mustClaim(store);
        const forged = { sessionId: claim.lease.sessionId, token: "not-the-token" };
        expect(await callStarted(store, forged)).toBe(false);
        expect(await store.complete(forged, LEASE_MS)).toBe("lost");
        expect(await store.renew({ sessionId: "nobody", token: claim.lease.token }, LEASE_MS)).toBe(false);
      });

      it("recovers expired leases only, and a renewed lease does not expire", async () => {
        const store = await fresh();
        await store.accept(entry("a"), LIMITS);
        await store.accept(entry("b"), LIMITS);
        const renewed = await mustClaim(store, 150);
        const dying = await mustClaim(store, 150);
        expect(await store.recoverExpired()).toBe(0);
        await sleep(80);
        expect(await store.renew(renewed.lease, 1000)).toBe(true);
        await sleep(120);
        expect(await store.recoverExpired()).toBe(1);
        expect(await store.recoverExpired()).toBe(0);
        const again = await mustClaim(store);
        expect(again.lease.sessionId).toBe(dying.lease.sessionId);
        expect(await callStarted(store, renewed.lease)).toBe(true);
      });

      it("lets an expired lease that nobody took over still finish its work", async () => {
        const store = await fresh();
        await store.accept(entry("a"), LIMITS);
        const claim = await mustClaim(store, 50);
        await sleep(100);
        expect(await store.recordReply(claim.lease, reply)).toBe(true);
        expect(await store.complete(claim.lease, LEASE_MS)).toBeNull();
        expect(await store.recoverExpired()).toBe(0);
      });

      it("keeps the lease of complete's next message for the given time", async () => {
        const store = await fresh();
        await store.accept(entry("a"), LIMITS);
        await store.accept(entry("a"), LIMITS);
        const claim = await mustClaim(store, 60);
        await store.complete(claim.lease, 1000);
        await sleep(120);
        expect(await store.recoverExpired()).toBe(0);
      });
    });

    it("serves many workers at once: every message once, each session in order, one at a time", async () => {
      const store = await fresh();
      const sessions = 60;
      const perSession = 5;
      const limits = { ...LIMITS, maxPending: 1000, maxPendingPerUser: 1000 };
      const sent = new Map<string, string[]>();
      await Promise.all(
        Array.from({ length: sessions * perSession }, async (_, i) => {
          const e = entry(`burst${i % sessions}`, `u${i % 7}`);
          sent.set(e.sessionId, [...(sent.get(e.sessionId) ?? []), e.key]);
          expect(await store.accept(e, limits)).toBe("queued");
        }),
      );
      const seen = new Map<string, string[]>();
      const busy = new Set<string>();
      const stop = new AbortController();
      let done = 0;
      const worker = async () => {
        while (done < sessions * perSession) {
          const claim = await store.claim(["slack"], LEASE_MS);
          if (claim === null) {
            await store.waitForWork(["slack"], 50, stop.signal);
            continue;
          }
          const id = claim.lease.sessionId;
          expect(busy.has(id)).toBe(false);
          busy.add(id);
          for (let head = claim.head; ; ) {
            seen.set(id, [...(seen.get(id) ?? []), head.entry.key]);
            expect(await callStarted(store, claim.lease)).toBe(true);
            await sleep(Math.random() * 2);
            done++;
            const next = await store.complete(claim.lease, LEASE_MS);
            if (next === "lost") throw new Error("lease lost");
            if (next === null) break;
            head = next;
          }
          busy.delete(id);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      stop.abort();
      // Each session's order is the order its messages were accepted in.
      expect(seen).toEqual(sent);
      expect(await store.depth()).toBe(0);
    });

    describe("waking workers", () => {
      it("wakes a waiting worker when a message arrives", async () => {
        const store = await fresh();
        const waited = timedWait(store, 5000);
        await sleep(50);
        await store.accept(entry(), LIMITS);
        expect(await waited).toBeLessThan(2000);
      });

      it("resolves at once when work is ready already", async () => {
        const store = await fresh();
        await store.accept(entry(), LIMITS);
        expect(await timedWait(store, 5000)).toBeLessThan(1000);
      });

      it("wakes a waiting worker when a session is released or recovered", async () => {
        const store = await fresh();
        await store.accept(entry(), LIMITS);
        const claim = await mustClaim(store, 100);
        const released = timedWait(store, 5000);
        await sleep(50);
        await store.release(claim.lease);
        expect(await released).toBeLessThan(2000);
        await mustClaim(store, 50);
        const recovered = timedWait(store, 5000);
        await sleep(100);
        expect(await store.recoverExpired()).toBe(1);
        expect(await recovered).toBeLessThan(2000);
      });

      it("ignores messages of other platforms", async () => {
        const store = await fresh();
        const waited = timedWait(store, 300);
        await store.accept(entry("d", "u1", "discord"), LIMITS);
        expect(await waited).toBeGreaterThanOrEqual(250);
      });

      it("gives up after the timeout, or at once on abort", async () => {
        const store = await fresh();
        expect(await timedWait(store, 150)).toBeGreaterThanOrEqual(140);
        const abort = new AbortController();
        const aborted = timedWait(store, 5000, abort.signal);
        await sleep(30);
        abort.abort();
        expect(await aborted).toBeLessThan(1000);
        expect(await timedWait(store, 5000, AbortSignal.abort())).toBeLessThan(100);
      });
    });

    describe("the sliding window of starts", () => {
      it("never lets more than the limit start in any window, and says how long to wait", async () => {
        const store = await fresh();
        const limit = 3;
        const windowMs = 300;
        // Each start happened between these two moments of this clock.
        const starts: Array<{ sent: number; done: number }> = [];
        const deadline = performance.now() + 3 * windowMs;
        while (performance.now() < deadline) {
          const sent = performance.now();
          const wait = await startWait(store, limit, windowMs);
          const done = performance.now();
          if (wait === 0) starts.push({ sent, done });
          else {
            expect(wait).toBeGreaterThan(0);
            expect(wait).toBeLessThanOrEqual(windowMs);
            await sleep(Math.min(wait, 20));
          }
        }
        expect(starts.length).toBeGreaterThanOrEqual(limit * 3);
        for (let i = limit; i < starts.length; i++) {
          const later = starts[i];
          const earlier = starts[i - limit];
          if (later === undefined || earlier === undefined) throw new Error("unreachable");
          expect(later.done - earlier.sent).toBeGreaterThanOrEqual(windowMs);
        }
      });

      it("fences a session's start: a lost lease is refused and records no start; a granted one marks the call started", async () => {
        const store = await fresh();
        await store.accept(entry("s"), LIMITS);
        const claim = await mustClaim(store);
        const forged = { sessionId: claim.lease.sessionId, token: "not-the-token" };
        expect(await store.acquireStart(1, 60_000, forged)).toBe("lost");
        // The refused start took no room in the window: the holder's start goes through.
        expect(await store.acquireStart(1, 60_000, claim.lease)).toBe(0);
        expect(await startWait(store, 1, 60_000)).toBeGreaterThan(0);
        await store.release(claim.lease);
        expect((await mustClaim(store)).head.phase).toBe("started");
      });

      it("starts the call through onGranted exactly when a start is granted, before it resolves", async () => {
        const store = await fresh();
        await store.accept(entry("s"), LIMITS);
        const claim = await mustClaim(store);
        const calls: string[] = [];
        const forged = { sessionId: claim.lease.sessionId, token: "not-the-token" };
        expect(await store.acquireStart(1, 60_000, forged, () => calls.push("lost"))).toBe("lost");
        const granted = store.acquireStart(1, 60_000, claim.lease, () => calls.push("granted"));
        expect(await granted).toBe(0);
        expect(calls).toEqual(["granted"]);
        expect(await store.acquireStart(1, 60_000, undefined, () => calls.push("waited"))).toBeGreaterThan(0);
        expect(calls).toEqual(["granted"]);
      });

      it("names a wait after which a start is granted", async () => {
        const store = await fresh();
        expect(await store.acquireStart(1, 200)).toBe(0);
        const wait = await startWait(store, 1, 200);
        expect(wait).toBeGreaterThan(100);
        expect(wait).toBeLessThanOrEqual(200);
        await sleep(wait + 5);
        expect(await store.acquireStart(1, 200)).toBe(0);
      });

      it("pauses every start, and a shorter pause does not shorten one in force", async () => {
        const store = await fresh();
        await store.pauseStarts(300);
        await store.pauseStarts(10);
        const wait = await startWait(store, 100, 1000);
        expect(wait).toBeGreaterThan(200);
        expect(wait).toBeLessThanOrEqual(300);
        await sleep(wait + 5);
        expect(await store.acquireStart(100, 1000)).toBe(0);
      });
    });

    historyContract(fresh);
    quotaContract(fresh);

    describe("shared memory", () => {
      it("recalls a remembered value until its TTL, and the last write wins", async () => {
        const store = await fresh();
        expect(await store.recall("thread")).toBeNull();
        await store.remember("thread", "one", 60_000);
        await store.remember("thread", "two", 100);
        expect(await store.recall("thread")).toBe("two");
        await sleep(160);
        expect(await store.recall("thread")).toBeNull();
      });
    });

    it("takes times in fractional milliseconds (performance.now arithmetic)", async () => {
      const store = await fresh();
      expect(await store.accept(entry(), { ...LIMITS, dedupeTtlMs: 60_000.5 })).toBe("queued");
      expect(await store.once("fraction", 1000.25)).toBe(true);
      const claim = await mustClaim(store, 30_000.7);
      expect(await store.renew(claim.lease, 29_999.1)).toBe(true);
      expect(await store.complete(claim.lease, 30_000.3)).toBeNull();
      expect(await store.acquireStart(3, 250.5)).toBe(0);
      await store.pauseStarts(10.2);
      await store.remember("fraction", "v", 1000.9);
      expect(await store.recall("fraction")).toBe("v");
    });

    it("answers ready while it works", async () => {
      const store = await fresh();
      await store.depth();
      expect(store.notReadyReason()).toBeNull();
    });
  });
}
