import { describe, expect, it } from "vitest";
import { createDiscordAdapter } from "../../../adapters/discord/index.js";
import { createTwilioAssistantClient } from "../../../src/assistant/twilio/client.js";
import { Metrics } from "../../../src/metrics.js";
import { FeedbackRecorder, feedbackReplies } from "../../../src/pipeline/feedback.js";
import { connectRedisStore } from "../../../src/state/redis-store.js";
import { ASSISTANT_ID, memoryLogger } from "../../support/core.js";
import { useDiscordHarness } from "../../support/discord-harness.js";
import { BOT_TOKEN, GUILD_ID } from "../../support/discord-ids.js";
import { callbackOf, click, customIds, webhookOf } from "../../support/discord-interactions.js";
import { runNow } from "../../support/feedback.js";
import { useTestRedis } from "../../support/redis.js";

const start = useDiscordHarness();
const redis = useTestRedis();

describe("discord feedback with two replicas on one Redis", () => {
  it("records a click taken by a replica that did not post the answer, once per person", async () => {
    const { logger } = memoryLogger("silent");
    const prefix = redis.prefix();
    // Replica A answers: its answer's payload does not fit in a custom_id, so it goes to Redis.
    const storeA = await connectRedisStore({ url: redis.url(), prefix, logger });
    const harness = await start({ core: { feedback: true, store: storeA } });
    const question = harness.mention("hello");
    const [answer] = await harness.rest.messagesIn(question, 1);
    if (!answer) throw new Error("no answer");
    const [up] = customIds(answer);
    expect(up).toMatch(/^fb:1:[0-9a-f-]{36}$/);

    // Replica B: its own Redis connection, Twilio client and gateway connection (it takes over the
    // double's dispatches, so A never sees the click).
    const storeB = await connectRedisStore({ url: redis.url(), prefix, logger });
    const sim = harness.core.simulator;
    const clientB = createTwilioAssistantClient({
      baseUrl: sim.url,
      assistantId: ASSISTANT_ID,
      username: sim.username,
      password: sim.authToken,
      timeoutMs: 2000,
    });
    const metricsB = new Metrics();
    const recorderB = new FeedbackRecorder({
      client: clientB,
      store: storeB,
      schedule: runNow,
      logger,
      metrics: metricsB,
    });
    const replicaB = createDiscordAdapter(
      {
        botToken: BOT_TOKEN,
        apiUrl: harness.rest.url,
        allowedGuilds: new Set([GUILD_ID]),
        allowedUsers: null,
        commandGuilds: null,
      },
      { sink: harness.core.bridge, memory: storeB, metrics: metricsB, logger, feedback: recorderB },
    );
    try {
      const sessions = harness.gateway.sessionsStarted;
      await replicaB.start();
      await harness.gateway.waitForSessions(sessions + 1);

      const first = click(harness, answer, up ?? "", undefined, true);
      const [reply] = await harness.rest.waitForCalls(webhookOf(first), 1);
      expect(reply?.body?.content).toBe(feedbackReplies.recorded);
      expect(sim.feedbacks).toMatchObject([{ session_id: sim.received[0]?.sessionId, score: 1 }]);

      const second = click(harness, answer, up ?? "", undefined, true);
      await harness.rest.waitForCalls(callbackOf(second), 1);
      const [again] = await harness.rest.waitForCalls(webhookOf(second), 1);
      expect(again?.body?.content).toBe(feedbackReplies.already);
      expect(sim.feedbacks).toHaveLength(1);
      // Both clicks were B's: A (which posted the answer) took none.
      const votes = async (metrics: Metrics) =>
        (await metrics.registry.getSingleMetric("bridge_feedback_votes_total")?.get())?.values.map((v) => [
          v.labels.result,
          v.value,
        ]);
      expect(await votes(metricsB)).toEqual([
        ["recorded", 1],
        ["already", 1],
      ]);
      expect(await votes(harness.core.metrics)).toEqual([]);
    } finally {
      await replicaB.close();
      await clientB.close();
      await storeB.close();
    }
  });
});
