import { describe, expect, it, vi } from "vitest";
import { createDiscordAdapter } from "../../../adapters/discord/index.js";
import { memoryLogger } from "../../support/core.js";
import { type DiscordHarness, useDiscordHarness } from "../../support/discord-harness.js";
import { BOT_TOKEN, TEXT_CHANNEL_ID } from "../../support/discord-ids.js";

const start = useDiscordHarness();

const threadCalls = (h: DiscordHarness) => h.rest.calls.filter((c) => c.path.endsWith("/threads"));

describe("Discord mention threads, started by the port (real discord.js, REST double, real core)", () => {
  it("two replicas that both see a mention answer it once, in one thread", async () => {
    const h = await start();
    const { logger } = memoryLogger("silent");
    // Replica B: its own gateway connection and REST client, the same core (its store's dedupe).
    const replicaB = createDiscordAdapter(
      {
        botToken: BOT_TOKEN,
        apiUrl: h.rest.url,
        allowedGuilds: null,
        allowedUsers: null,
        commandGuilds: null,
      },
      { sink: h.core.bridge, memory: h.core.store, metrics: h.core.metrics, logger, feedback: null },
    );
    try {
      const sessions = h.gateway.sessionsStarted;
      await replicaB.start();
      await h.gateway.waitForSessions(sessions + 1);
      h.gateway.broadcast = true;

      const question = h.mention("asked where two replicas listen");
      const [answer] = await h.rest.messagesIn(question, 1);
      expect(answer?.content).toContain("asked where two replicas listen");
      const barrier = h.mention("barrier");
      await h.rest.messagesIn(barrier, 1);
      // Each message reached the core from both replicas: one submission taken, one a duplicate.
      await vi.waitFor(async () => {
        expect((await h.core.metrics.dedupeHits.get()).values).toEqual([
          expect.objectContaining({ labels: { platform: "discord" }, value: 2 }),
        ]);
      });

      expect(h.core.simulator.received.map((r) => r.body)).toEqual([
        "asked where two replicas listen",
        "barrier",
      ]);
      expect(threadCalls(h).map((c) => c.path)).toEqual([
        `/channels/${TEXT_CHANNEL_ID}/messages/${question}/threads`,
        `/channels/${TEXT_CHANNEL_ID}/messages/${barrier}/threads`,
      ]);
      expect(h.rest.created.filter((m) => m.channelId === question)).toHaveLength(1);
    } finally {
      await replicaB.close();
    }
  });

  it("a process taking the answer over posts in the thread another one started (Discord: 160004)", async () => {
    const h = await start();
    const question = h.say("a question stored with its address");
    // The address a mention is stored with; each process builds its own port from it.
    const address = { channelId: TEXT_CHANNEL_ID, replyTo: question, questionId: question, threadName: "q" };
    const stop = h.adapter.portFor(address).startWorking();
    await h.rest.waitForCalls((c) => c.path === `/channels/${question}/typing`, 1);
    await stop();
    await h.adapter
      .portFor(address)
      .post(
        { kind: "lost", text: "taken over", requestId: "r", feedback: null },
        { recovered: true, signal: new AbortController().signal },
      );

    const [posted] = await h.rest.messagesIn(question, 1);
    expect(posted?.content).toBe("taken over");
    expect(posted?.body.message_reference).toBeUndefined();
    const [first, second] = threadCalls(h);
    expect(second?.path).toBe(first?.path);
    expect(h.rest.created.filter((m) => m.channelId === TEXT_CHANNEL_ID)).toEqual([]);
  });

  it("a mention refused at intake (too long) is answered under the question, without a thread", async () => {
    const h = await start({ core: { maxInputChars: 20 } });
    const question = h.mention("a question far longer than twenty characters");
    const [notice] = await h.rest.messagesIn(TEXT_CHANNEL_ID, 1);
    expect(notice?.body.message_reference).toEqual({ message_id: question, fail_if_not_exists: false });
    const barrier = h.mention("short");
    await h.rest.messagesIn(barrier, 1);
    expect(threadCalls(h).map((c) => c.path)).toEqual([
      `/channels/${TEXT_CHANNEL_ID}/messages/${barrier}/threads`,
    ]);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["short"]);
  });
});
