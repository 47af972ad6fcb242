import { afterEach, describe, expect, it } from "vitest";
import type { QuotaConfig } from "../../src/quotas.js";
import { connectRedisStore, type RedisStore } from "../../src/state/redis-store.js";
import { memoryLogger } from "../support/core.js";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";
import { useTestRedis } from "../support/redis.js";

const redis = useTestRedis();
const stores: RedisStore[] = [];
const bridges: Array<ReturnType<typeof fakeBridge>> = [];
afterEach(async () => {
  await Promise.all(bridges.splice(0).map((b) => b.bridge.stop(1_000)));
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

async function replica(
  prefix: string,
  quotas: QuotaConfig,
  router?: ReturnType<typeof fakeBridge>["router"],
) {
  const { logger } = memoryLogger("silent");
  const store = await connectRedisStore({ url: redis.url(), prefix, logger });
  stores.push(store);
  const made = fakeBridge({}, 4000, { store, quotas, ...(router ? { router } : {}) });
  bridges.push(made);
  return made;
}

const QUOTAS: QuotaConfig = {
  perPerson: { limit: 5, unit: "hour" },
  perWorkspace: null,
  exemptUsers: new Set(),
};

describe("usage quotas over two replicas on one Redis", () => {
  it("answers exactly N of one person's questions spread over both, twins included", async () => {
    const prefix = redis.prefix();
    const a = await replica(prefix, QUOTAS);
    const b = await replica(prefix, QUOTAS, a.router);
    const port = new RecordingPort();
    const questions = Array.from({ length: 12 }, (_, i) => message({ thread: `t${i}`, text: `q${i}` }));
    // Every question reaches both replicas (as on Discord's gateway, or a Slack retry landing on the other).
    const results = await Promise.all(
      questions.flatMap((question, i) => {
        const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
        return [first.submit(question, port), second.submit({ ...question }, port)];
      }),
    );
    expect(results.filter((r) => r === "queued")).toHaveLength(5);
    expect(results.filter((r) => r === "rejected")).toHaveLength(7);
    expect(results.filter((r) => r === "duplicate")).toHaveLength(12);
    await port.waitFor(12);
    const calls = [...a.assistant.calls, ...b.assistant.calls];
    expect(calls).toHaveLength(5);
    expect(port.replies.filter((r) => r.kind === "answer")).toHaveLength(5);
    const refusals = port.replies.filter((r) => r.kind === "over_quota");
    expect(refusals).toHaveLength(7);
    // One channel: the first refusal is told, the others are quiet, whichever replica refused them.
    expect(refusals.filter((r) => !r.quiet)).toHaveLength(1);
  });
});
