import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  CallDeadlines,
  RedisTimeoutError,
  reconnectDelayMs,
  redisEndpoint,
} from "../../src/state/redis-connection.js";

describe("CallDeadlines", () => {
  it("passes on what settles in time, and rejects what does not soon after its deadline", async () => {
    const deadlines = new CallDeadlines(200);
    expect(await deadlines.watch(Promise.resolve("fast"))).toBe("fast");
    await expect(deadlines.watch(Promise.reject(new Error("refused")))).rejects.toThrow("refused");
    const started = performance.now();
    const slow = deadlines.watch(sleep(1000).then(() => "too late"));
    await expect(slow).rejects.toBeInstanceOf(RedisTimeoutError);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(195);
    expect(took).toBeLessThan(450);
  });

  it("times out each call from its own start", async () => {
    const deadlines = new CallDeadlines(300);
    const first = deadlines.watch(sleep(2000));
    await sleep(200);
    const second = deadlines.watch(sleep(250).then(() => "made it"));
    await expect(first).rejects.toBeInstanceOf(RedisTimeoutError);
    expect(await second).toBe("made it");
  });

  it("refuses a timeout that is not positive", () => {
    expect(() => new CallDeadlines(0)).toThrow(/positive, got 0/);
  });
});

describe("redis connection helpers", () => {
  it("backs off doubling from 50 ms, capped at 5 s plus jitter", () => {
    const none = () => 0;
    expect([0, 1, 2, 3].map((n) => reconnectDelayMs(n, none))).toEqual([50, 100, 200, 400]);
    expect(reconnectDelayMs(30, none)).toBe(5000);
    expect(reconnectDelayMs(2000, () => 0.99)).toBe(5099);
  });

  it("shows only host:port of a Redis URL", () => {
    expect(redisEndpoint("rediss://user:s3cret@cache.example.com:6380/1")).toBe("cache.example.com:6380");
    expect(redisEndpoint("redis://:s3cret@10.0.0.5")).toBe("10.0.0.5:6379");
    expect(redisEndpoint("redis://user:s3cret@[bad")).not.toContain("s3cret");
  });
});
