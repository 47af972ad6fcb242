import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedisStore, type RedisStore } from "../../src/state/redis-store.js";
import type { AcceptLimits } from "../../src/state/store.js";
import { memoryLogger } from "../support/core.js";
import { type PrivateRedis, startPrivateRedis } from "../support/redis.js";
import { callStarted, entry } from "./contract.js";

const PASSWORD = "very-secret-redis-pw";
const LIMITS: AcceptLimits = { maxPending: 100, maxPendingPerUser: 100, dedupeTtlMs: 60_000 };

/** How long `work` took to settle, and whether it rejected. */
async function timed(work: Promise<unknown>): Promise<{ ms: number; rejected: boolean }> {
  const started = performance.now();
  const rejected = await work.then(
    () => false,
    () => true,
  );
  return { ms: performance.now() - started, rejected };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("RedisStore when Redis fails", () => {
  let redis: PrivateRedis;
  let store: RedisStore;
  const { logger, lines } = memoryLogger("debug"); // no secrets given: the store itself must not log them

  beforeAll(async () => {
    redis = await startPrivateRedis({ password: PASSWORD });
    store = await connectRedisStore({ url: redis.url, prefix: "{faults}:", logger });
  });
  afterAll(async () => {
    await store?.close();
    await redis?.close();
  });

  it("rejects every call within about 2 s while Redis is down, names Redis, and works again once it is back", async () => {
    expect(await store.accept(entry("before"), LIMITS)).toBe("queued");
    await store.waitForWork(["slack"], 1000, new AbortController().signal); // subscribes
    await redis.stop();
    await until(() => store.notReadyReason() !== null, 5000);
    expect(store.notReadyReason()).toMatch(/^redis: /);

    const calls = [
      store.accept(entry("down"), LIMITS),
      store.claim(["slack"], 30_000),
      store.acquireStart(10, 1000),
      store.depth(),
      store.recall("k"),
      store.once("k", 1000),
    ];
    for (const result of await Promise.all(calls.map(timed))) {
      expect(result.rejected).toBe(true);
      expect(result.ms).toBeLessThan(2500);
    }
    const waited = await timed(store.waitForWork(["slack"], 200, new AbortController().signal));
    expect(waited).toMatchObject({ rejected: false });
    expect(waited.ms).toBeLessThan(1000);

    await redis.start();
    await until(() => store.notReadyReason() === null, 15_000);
    // A new server: its script cache is empty too, so this also goes through the NOSCRIPT fallback.
    expect(await store.accept(entry("after"), LIMITS)).toBe("queued");
    expect(await store.depth()).toBe(1);
    const claim = await store.claim(["slack"], 30_000);
    expect(claim?.head.entry.message.thread).toBe("after");
  });

  it("wakes waiting workers again after a reconnect (the wake-up channel is subscribed again)", async () => {
    await until(() => store.notReadyReason() === null, 15_000);
    // The subscriber reconnects on its own schedule: ring until a wait is woken by a new message.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const waiting = timed(store.waitForWork(["discord"], 1000, new AbortController().signal));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.accept(entry(`d${Date.now()}`, "u1", "discord"), LIMITS);
      if ((await waiting).ms < 500) break;
      if (Date.now() > deadline) throw new Error("never woken after the reconnect");
      const drained = await store.claim(["discord"], 30_000);
      if (drained) await store.complete(drained.lease, 30_000);
    }
  });

  it("rejects within about 2 s when Redis is too slow to answer", async () => {
    await until(() => store.notReadyReason() === null, 15_000);
    const pauser = createClient({ url: redis.url });
    await pauser.connect();
    await pauser.sendCommand(["CLIENT", "PAUSE", "2500", "ALL"]);
    try {
      const waiting = timed(store.waitForWork(["slack"], 200, new AbortController().signal));
      const result = await timed(store.accept(entry("slow"), LIMITS));
      expect((await waiting).ms).toBeLessThan(1000); // the wait keeps its timeout
      expect(result.rejected).toBe(true);
      expect(result.ms).toBeGreaterThan(1500);
      expect(result.ms).toBeLessThan(2400);
      expect(store.notReadyReason()).toMatch(/^redis: .*no answer/);
    } finally {
      pauser.destroy();
    }
    // The pause ends; the next answer makes the store ready again.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await store.depth()).toBeGreaterThanOrEqual(0);
    expect(store.notReadyReason()).toBeNull();
  });

  it("never logs the URL's password, only host:port", () => {
    const log = lines.join("");
    expect(log).toContain(`127.0.0.1:${redis.port}`);
    expect(log).toContain("redis: connection error");
    expect(log).not.toContain(PASSWORD);
  });

  it("fails start-up with host:port and no password when Redis never answers", async () => {
    const url = `redis://:${PASSWORD}@127.0.0.1:1`;
    const failed = connectRedisStore({ url, logger, connectTimeoutMs: 500 });
    await expect(failed).rejects.toThrow(/^redis: could not connect to 127\.0\.0\.1:1/);
    await failed.catch((error: Error) => expect(error.message).not.toContain(PASSWORD));
  });
});

describe("RedisStore across a Redis restart", () => {
  it("keeps queued work when Redis persists it (AOF), reconnecting on its own", async () => {
    const redis = await startPrivateRedis({ persistent: true });
    const store = await connectRedisStore({
      url: redis.url,
      prefix: "{restart}:",
      logger: memoryLogger("silent").logger,
    });
    try {
      const [first, second] = [entry("kept"), entry("kept")];
      await store.accept(first, LIMITS);
      await store.accept(second, LIMITS);
      const claim = await store.claim(["slack"], 30_000);
      if (claim === null) throw new Error("nothing claimed");
      expect(await callStarted(store, claim.lease)).toBe(true);
      await redis.restart(200, "SIGKILL");
      await until(() => store.notReadyReason() === null, 15_000);
      expect(await store.depth()).toBe(2);
      // The lease survived too: its holder finishes, and the next message follows in order.
      expect(await store.complete(claim.lease, 30_000)).toMatchObject({ entry: second, phase: "queued" });
    } finally {
      await store.close();
      await redis.close();
    }
  });
});
