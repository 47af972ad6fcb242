/**
 * Two replicas of the real entry point on one Redis and prefix, one Slack Web API double, one Twilio
 * double: what "every process that shares REDIS_URL acts as one bridge" must mean. No assertion here
 * is about how fast anything is; every wait is on a condition, with a generous bound.
 */
import { afterEach, describe, expect, it } from "vitest";
import { envelope, messageEvent } from "../support/slack-events.js";
import { type PrivateRedis, startPrivateRedis, useTestRedis } from "../support/redis.js";
import { Cluster, isAnswerTo, until } from "./replicas-support.js";

const redis = useTestRedis();
const TEST_TIMEOUT_MS = 120_000;

let cluster: Cluster | undefined;
let privateRedis: PrivateRedis | undefined;
afterEach(async () => {
  await cluster?.close();
  await privateRedis?.close();
  cluster = undefined;
  privateRedis = undefined;
});

function start(options: Omit<Parameters<typeof Cluster.start>[0], "redisUrl" | "prefix">) {
  return Cluster.start({ redisUrl: redis.url(), prefix: redis.prefix(), ...options });
}

/** The most starts in any window of `widthMs` (a window opens at each start). */
function busiestWindow(starts: readonly number[], widthMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let busiest = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && (sorted[j] ?? 0) < (sorted[i] ?? 0) + widthMs) j++;
    busiest = Math.max(busiest, j - i);
  }
  return busiest;
}

describe("two replicas sharing one Redis", () => {
  it(
    "answers a Slack retry or twin delivered to the other replica once: one assistant call, one reply",
    async () => {
      cluster = await start({ latencyMs: 300 });
      const first = await cluster.mention(0, "hello");
      expect(first.status).toBe(200);
      // Slack's retry (same envelope and event id) and the `message` twin (same ts, another event id),
      // both to the other replica while the answer is still being made.
      expect(await cluster.deliver(1, first.body, 1)).toBe(200);
      const mention = first.body.event as Record<string, string>;
      const twin = envelope(messageEvent({ user: mention.user, ts: first.ts, text: mention.text }));
      expect(await cluster.deliver(1, twin)).toBe(200);
      await cluster.settled([first.ts]);
      // A late retry (Slack's come after one and five minutes), once the message is answered.
      expect(await cluster.deliver(1, first.body, 2)).toBe(200);
      // A retry that had been taken would be pending now, and answered before the queue is empty.
      await cluster.settled([first.ts]);

      expect(cluster.postsIn(first.ts)).toEqual(["answer: hello"]);
      expect(cluster.callsIn(first.ts)).toHaveLength(1);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "keeps the rate window over both replicas: no window holds more than ASSISTANT_RATE_LIMIT starts",
    async () => {
      const limit = 3;
      const intervalMs = 1500;
      cluster = await start({
        latencyMs: 50,
        env: { ASSISTANT_RATE_LIMIT: String(limit), ASSISTANT_RATE_INTERVAL_MS: String(intervalMs) },
      });
      const running = cluster;
      const sent = await Promise.all(
        Array.from({ length: 3 * limit }, (_, i) => running.mention(i % 2, `q${i}`)),
      );
      expect(sent.map((s) => s.status)).toEqual(sent.map(() => 200));
      await running.settled(sent.map((s) => s.ts));

      const calls = running.twilio.calls;
      expect(calls).toHaveLength(3 * limit);
      // Both replicas called the assistant, so the limit held across processes, not within one.
      expect(new Set(calls.map((call) => call.replica)).size).toBe(2);
      // The window is kept on Redis time when a start is taken; a request reaches the double a little
      // later, by a delay that varies on a loaded machine. Windows 300 ms shorter than the interval
      // absorb that jitter and still catch a limit kept per replica (it lets 2 × L through at once).
      expect(
        busiestWindow(
          calls.map((call) => call.at),
          intervalMs - 300,
        ),
      ).toBeLessThanOrEqual(limit);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "sends three messages of one thread, taken by alternating replicas, to the assistant in order and one at a time",
    async () => {
      cluster = await start({ latencyMs: 400 });
      const root = await cluster.mention(0, "one");
      const second = await cluster.mention(1, "two", root.ts);
      const third = await cluster.mention(0, "three", root.ts);
      expect([root.status, second.status, third.status]).toEqual([200, 200, 200]);
      await until(async () => cluster?.postsIn(root.ts).length === 3, "three replies in the thread", 60_000);
      await cluster.settled([root.ts]);

      const calls = cluster.callsIn(root.ts);
      expect(calls.map((call) => call.body)).toEqual(["one", "two", "three"]);
      for (let k = 1; k < calls.length; k++) {
        const previousEnd = calls[k - 1]?.endedAt;
        expect(previousEnd).not.toBeNull();
        expect(calls[k]?.at).toBeGreaterThanOrEqual(previousEnd ?? Number.POSITIVE_INFINITY);
      }
      const posts = cluster.postsIn(root.ts);
      expect(posts.map((text, k) => isAnswerTo(text, ["one", "two", "three"][k] ?? ""))).toEqual([
        true,
        true,
        true,
      ]);
    },
    TEST_TIMEOUT_MS,
  );
});
