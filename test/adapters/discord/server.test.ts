import { describe, expect, it } from "vitest";
import { NEW_IN_THREAD } from "../../../adapters/discord/intake.js";
import { type DiscordHarness, seedThread, useDiscordHarness } from "../../support/discord-harness.js";
import {
  BOT_USER,
  DM_CHANNEL_ID,
  GUILD_ID,
  snowflake,
  TEXT_CHANNEL_ID,
  USER,
} from "../../support/discord-ids.js";

const start = useDiscordHarness();

const threadCalls = (h: DiscordHarness) => h.rest.calls.filter((c) => c.path.endsWith("/threads"));

describe("Discord server mentions", () => {
  it("starts a thread named from the question, answers there, and keeps the session for follow-ups", async () => {
    const h = await start();
    const question = h.mention("How do I send an SMS with Twilio?");
    const [answer] = await h.rest.messagesIn(question, 1); // a thread started on a message has its id

    const [create] = threadCalls(h);
    expect(create?.path).toBe(`/channels/${TEXT_CHANNEL_ID}/messages/${question}/threads`);
    expect(create?.body?.name).toBe("How do I send an SMS with Twilio?");
    expect(answer?.content).toContain("You said: “How do I send an SMS with Twilio?”");
    expect(answer?.body.message_reference).toBeUndefined();
    expect(h.rest.calls.some((c) => c.path === `/channels/${question}/typing`)).toBe(true);
    expect(h.rest.created.filter((m) => m.channelId === TEXT_CHANNEL_ID)).toEqual([]);

    // No mention needed in the bot's thread.
    const followUp = h.say("And MMS?", { channelId: question });
    const replies = await h.rest.messagesIn(question, 2);
    expect(replies[1]?.body.message_reference).toEqual({ message_id: followUp, fail_if_not_exists: false });
    expect(replies[1]?.content).toContain("This is message 2 of our conversation");

    const [first, second] = h.core.simulator.received;
    expect(first?.sessionId).toBe(`discord__${GUILD_ID}/${TEXT_CHANNEL_ID}/${question}`);
    expect(second?.sessionId).toBe(first?.sessionId);
    expect(second?.identity).toBe(`user_id:discord_${USER.id}`);
    expect(threadCalls(h)).toHaveLength(1);
  });

  it("is the same customer on a server as in DMs", async () => {
    const h = await start();
    const question = h.mention("on the server");
    h.dm("in a DM");
    await h.rest.messagesIn(question, 1);
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    const identities = new Set(h.core.simulator.received.map((r) => r.identity));
    expect(identities).toEqual(new Set([`user_id:discord_${USER.id}`]));
  });

  it("gives each mention its own thread and session", async () => {
    const h = await start();
    const a = h.mention("first topic");
    const b = h.mention("second topic");
    await h.rest.messagesIn(a, 1);
    await h.rest.messagesIn(b, 1);
    const sessions = h.core.simulator.received.map((r) => r.sessionId);
    expect(new Set(sessions).size).toBe(2);
  });

  it("answers a redelivered mention once, in the thread it already has", async () => {
    const h = await start();
    const question = h.mention("asked twice");
    await h.rest.messagesIn(question, 1);
    // The same MESSAGE_CREATE again (Discord can redeliver, e.g. on a resume).
    h.gateway.dispatch(
      "MESSAGE_CREATE",
      h.rest.history.get(TEXT_CHANNEL_ID)?.find((m) => m.id === question),
    );
    // Messages of one channel are handled in order: once this one is answered, the redelivery was handled.
    const barrier = h.mention("barrier");
    await h.rest.messagesIn(barrier, 1);
    expect(h.rest.created.filter((m) => m.channelId === question)).toHaveLength(1);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["asked twice", "barrier"]);
    expect(threadCalls(h).map((c) => c.path)).toEqual([
      `/channels/${TEXT_CHANNEL_ID}/messages/${question}/threads`,
      `/channels/${TEXT_CHANNEL_ID}/messages/${barrier}/threads`,
    ]);
  });

  it("answers in the channel when it cannot start a thread", async () => {
    const h = await start();
    h.rest.override = (call) =>
      call.path.endsWith("/threads")
        ? { status: 403, body: { code: 50013, message: "Missing Permissions" } }
        : undefined;
    const question = h.mention("no threads here");
    const [answer] = await h.rest.messagesIn(TEXT_CHANNEL_ID, 1);
    expect(answer?.body.message_reference).toEqual({ message_id: question, fail_if_not_exists: false });
    expect(h.rest.calls.some((c) => c.path === `/channels/${TEXT_CHANNEL_ID}/typing`)).toBe(true);
    expect(h.rest.calls.some((c) => c.path === `/channels/${question}/typing`)).toBe(false);
    expect(h.core.simulator.received[0]?.sessionId).toBe(
      `discord__${GUILD_ID}/${TEXT_CHANNEL_ID}/${question}`,
    );
  });

  it("recognises its own thread after a restart, asking Discord who started it", async () => {
    const h = await start();
    // A thread the bot started in an earlier life: this client never saw its THREAD_CREATE.
    const threadId = seedThread(h, {
      owner: BOT_USER.id,
      name: "old question",
      extra: {
        thread_metadata: {
          archived: false,
          auto_archive_duration: 1440,
          archive_timestamp: new Date().toISOString(),
          locked: false,
        },
      },
    });
    h.say("still there?", { channelId: threadId });
    h.say("and now?", { channelId: threadId });
    await h.rest.messagesIn(threadId, 2);
    expect(h.core.simulator.received.map((r) => r.sessionId)).toEqual([
      `discord__${GUILD_ID}/${TEXT_CHANNEL_ID}/${threadId}`,
      `discord__${GUILD_ID}/${TEXT_CHANNEL_ID}/${threadId}`,
    ]);
    expect(h.rest.calls.filter((c) => c.path === `/channels/${threadId}`)).toHaveLength(1);
  });

  it("points to a new mention when /new is sent in a thread", async () => {
    const h = await start();
    const question = h.mention("topic");
    await h.rest.messagesIn(question, 1);
    h.say("/new", { channelId: question });
    const [, hint] = await h.rest.messagesIn(question, 2);
    expect(hint?.content).toBe(NEW_IN_THREAD);
    expect(h.core.simulator.received).toHaveLength(1);
  });
});

describe("messages that are not questions", () => {
  it("ignores bots (itself included), webhooks, system messages, other threads and unmentioned chatter", async () => {
    const h = await start();
    const otherBot = { ...USER, id: "1400000000000000099", username: "other-bot", bot: true };
    const strangersThread = seedThread(h, { owner: USER.id, name: "people talking" });
    h.dm("from another bot", { author: otherBot });
    h.dm("from myself", { author: { ...BOT_USER } });
    h.mention("bot mentioning me", { author: otherBot });
    h.dm("via webhook", { extra: { webhook_id: "1600000000000000001" } });
    h.dm("pinned a message", { type: 6 });
    h.mention("a slash command", { type: 20 });
    h.say("just chatting in the channel");
    h.say("chatting in someone's thread", { channelId: strangersThread });
    h.gateway.dispatch("MESSAGE_UPDATE", { id: snowflake(), channel_id: DM_CHANNEL_ID, content: "edited" });
    // A question after all of them: once it is answered, the ones before were handled too.
    h.dm("the only question");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    await h.gateway.roundTrip();

    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["the only question"]);
    expect(h.rest.created).toHaveLength(1);
    expect(threadCalls(h)).toEqual([]);
  });

  it("answers someone else's thread only when mentioned there, in that thread", async () => {
    const h = await start();
    const thread = seedThread(h, { owner: USER.id, name: "t" });
    const question = h.mention("help in here", { channelId: thread });
    const [answer] = await h.rest.messagesIn(thread, 1);
    expect(answer?.body.message_reference).toEqual({ message_id: question, fail_if_not_exists: false });
    expect(h.core.simulator.received[0]?.sessionId).toBe(`discord__${GUILD_ID}/${TEXT_CHANNEL_ID}/${thread}`);
    expect(threadCalls(h)).toEqual([]);
  });

  it("skips malformed messages and keeps answering", async () => {
    const h = await start();
    h.gateway.dispatch("MESSAGE_CREATE", {
      id: snowflake(),
      channel_id: DM_CHANNEL_ID,
      channel_type: 1,
      content: "no author",
    });
    h.gateway.dispatch("SOMETHING_NEW", { surprise: true });
    h.gateway.dispatch("THREAD_CREATE", { id: snowflake() });
    h.dm("still working?");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["still working?"]);
    expect(h.core.logLines.some((line) => line.includes("could not read"))).toBe(true);
  });
});
