import { afterEach, describe, expect, it } from "vitest";
import { connectRedisStore, type RedisStore } from "../../src/state/redis-store.js";
import { memoryLogger } from "../support/core.js";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";
import { useTestRedis } from "../support/redis.js";

const redis = useTestRedis();
const stores: RedisStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function sharedStore(prefix: string): Promise<RedisStore> {
  const { logger } = memoryLogger("silent");
  const store = await connectRedisStore({ url: redis.url(), prefix, logger });
  stores.push(store);
  return store;
}

describe("shutdown with a shared store (a rolling restart)", () => {
  it("finishes the call in flight, and leaves the one waiting for the rate window to the next process, with no notice", async () => {
    const prefix = redis.prefix();
    const store = await sharedStore(prefix);
    // One start a minute: the second thread's message waits for the window when the stop comes.
    const first = fakeBridge({ rateLimit: 1, rateIntervalMs: 60_000 }, 4000, { store });
    first.assistant.respond = (request) =>
      new Promise((resolve) =>
        setTimeout(() => resolve({ kind: "answer", body: `re: ${request.body}`, sessionId: null }), 200),
      );
    const port = new RecordingPort();
    void first.submit(message({ thread: "a", text: "in flight" }), port);
    void first.submit(message({ thread: "b", text: "waiting" }), port);
    await expect.poll(() => first.assistant.calls.length).toBe(1);

    const report = await first.bridge.stop(5_000);
    expect(report).toEqual({ drained: 1, unfinished: 0, left: 1 });
    expect(port.replies.map((r) => r.text)).toEqual(["re: in flight"]);
    expect(first.assistant.calls.map((c) => c.request.body)).toEqual(["in flight"]);

    // The next process (same Redis, same prefix) answers it: no notice, one call, nothing left.
    const next = fakeBridge({ rateLimit: 100, rateIntervalMs: 1000 }, 4000, {
      store: await sharedStore(prefix),
      router: first.router,
    });
    await port.waitFor(2);
    expect(next.assistant.calls.map((c) => c.request.body)).toEqual(["waiting"]);
    expect(port.replies.map((r) => r.kind)).toEqual(["answer", "answer"]);
    await expect.poll(() => next.store.depth()).toBe(0);
    await next.bridge.stop(1_000);
  });
});
