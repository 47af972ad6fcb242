import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { afterAll, describe, expect, it } from "vitest";
import { connectRedisStore, type RedisStore } from "../../src/state/redis-store.js";
import type { AcceptLimits } from "../../src/state/store.js";
import { memoryLogger } from "../support/core.js";
import { startPrivateRedis, useTestRedis } from "../support/redis.js";
import { entry, runStoreContract } from "./contract.js";

const redis = useTestRedis();
const logger = memoryLogger("silent").logger;
const connect = (prefix = redis.prefix(), url = redis.url()) => connectRedisStore({ url, prefix, logger });

runStoreContract("RedisStore", () => connect());

/** One message through every step a worker takes, the way the pipeline answers it. */
async function answerOne(store: RedisStore, limits: AcceptLimits, session: string): Promise<void> {
  expect(await store.accept(entry(session, `u-${session}`), limits)).toBe("queued");
  const claim = await store.claim(["slack"], 30_000);
  if (claim === null) throw new Error("nothing ready");
  expect(await store.acquireStart(1000, 100, claim.lease)).toBe(0);
  const reply = {
    kind: "answer" as const,
    text: "hi",
    requestId: claim.head.entry.requestId,
    feedback: null,
  };
  expect(await store.recordReply(claim.lease, reply)).toBe(true);
  expect(await store.complete(claim.lease, 30_000)).toBeNull();
}

describe("RedisStore", () => {
  const stores: RedisStore[] = [];
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
  });

  it("is shared between processes", async () => {
    const store = await connect();
    stores.push(store);
    expect(store.shared).toBe(true);
  });

  it("refuses a prefix without a hash tag (Cluster would split its keys over slots)", async () => {
    await expect(connect("bridge:")).rejects.toThrow(/hash tag such as \{bridge\}:, got "bridge:"/);
  });

  it("leaves only the dedupe keys behind once every message is answered", async () => {
    const prefix = redis.prefix();
    const store = await connect(prefix);
    stores.push(store);
    const limits = { maxPending: 100, maxPendingPerUser: 2, dedupeTtlMs: 60_000 };
    // Several messages per session, so complete also hands over a next message.
    for (let i = 0; i < 12; i++) await store.accept(entry(`s${i % 4}`, `u${i}`), limits);
    expect(await store.accept(entry("s9", "u0"), { ...limits, maxPendingPerUser: 1 })).toBe("busy");
    for (
      let claim = await store.claim(["slack"], 30_000);
      claim;
      claim = await store.claim(["slack"], 30_000)
    ) {
      for (let head: unknown = claim.head; head !== null; head = await store.complete(claim.lease, 30_000)) {
        expect(await store.acquireStart(1000, 100, claim.lease)).toBe(0);
      }
    }
    for (let i = 0; i < 5; i++) await answerOne(store, limits, `single${i}`);
    await sleep(150); // the window of starts expires with its last start
    const keys = await redis.keys(prefix);
    expect(keys.filter((key) => !key.startsWith(`${prefix}seen:`))).toEqual([]);
    expect(keys).toHaveLength(12 + 1 + 5);
  });

  it("shares everything between two stores on one Redis (two replicas)", async () => {
    const prefix = redis.prefix();
    const [one, two] = [await connect(prefix), await connect(prefix)];
    stores.push(one, two);
    const limits = { maxPending: 2, maxPendingPerUser: 10, dedupeTtlMs: 60_000 };
    const first = entry("shared");
    expect(await one.accept(first, limits)).toBe("queued");
    expect(await two.accept({ ...first }, limits)).toBe("duplicate");
    expect(await two.accept(entry("other"), limits)).toBe("queued");
    expect(await one.accept(entry("third"), limits)).toBe("busy");
    const waiting = two.waitForWork(["slack"], 5000, new AbortController().signal);
    const claimed = await one.claim(["slack"], 30_000);
    expect(claimed?.head.entry).toEqual(first);
    await waiting;
    expect((await two.claim(["slack"], 30_000))?.head.entry.message.thread).toBe("other");
    await one.pauseStarts(500);
    expect(await two.acquireStart(10, 1000)).toBeGreaterThan(400);
    await one.remember("thread", "active", 60_000);
    expect(await two.recall("thread")).toBe("active");
  });

  it("costs a handful of round trips per answered message (INFO commandstats)", async () => {
    const own = await startPrivateRedis();
    const store = await connect("{cost}:", own.url);
    const admin = createClient({ url: own.url });
    await admin.connect();
    try {
      const limits = { maxPending: 1000, maxPendingPerUser: 5, dedupeTtlMs: 60_000 };
      await answerOne(store, limits, "warm-up");
      await admin.configResetStat();
      const messages = 50;
      for (let i = 0; i < messages; i++) await answerOne(store, limits, `t${i}`);
      const stats = String(await admin.info("commandstats"));
      const calls = new Map(
        [...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1] ?? "", Number(m[2])]),
      );
      calls.delete("config"); // this test's own RESETSTAT
      calls.delete("info");
      const total = [...calls.values()].reduce((a, b) => a + b, 0);
      const roundTrips = (calls.get("evalsha") ?? 0) + (calls.get("eval") ?? 0);
      // accept, claim, acquireStart (fenced, marks the call started), recordReply, complete: one script each.
      expect(roundTrips / messages).toBe(5);
      // Every command a script runs counts too; keep them from creeping up.
      expect(total / messages).toBeLessThanOrEqual(40);
    } finally {
      admin.destroy();
      await store.close();
      await own.close();
    }
  });
});
