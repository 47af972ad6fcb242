import { afterEach, describe, expect, it, vi } from "vitest";
import { REFUSAL } from "../../../adapters/discord/access.js";
import {
  type CommandView,
  classifyCommand,
  EMPTY,
  NEW_IN_CHANNEL,
  NOT_HERE,
  UNKNOWN,
} from "../../../adapters/discord/command-intake.js";
import { NEW_CONVERSATION } from "../../../adapters/discord/intake.js";
import { notices } from "../../../src/notices.js";
import type { Scripted, SimulatorRequest } from "../../../src/simulator/server.js";
import { type HarnessOptions, useDiscordHarness } from "../../support/discord-harness.js";
import { DM_CHANNEL_ID, GUILD_ID, TEXT_CHANNEL_ID, USER } from "../../support/discord-ids.js";
import type { RestCall } from "../../support/discord-rest.js";

const start = useDiscordHarness();

afterEach(() => {
  vi.useRealTimers();
});

function scripted(script: (request: SimulatorRequest) => Scripted | undefined): HarnessOptions {
  return { core: { simulator: { script } } };
}

const isCallback = (id: string) => (call: RestCall) => call.path.startsWith(`/interactions/${id}/`);
/** The reply's webhook route (discord.js sends `@` as `%40`). */
const ORIGINAL = /\/messages\/(@|%40)original$/;
const isEdit = (call: RestCall) => call.method === "PATCH" && ORIGINAL.test(call.path);
const isFollowUp = (call: RestCall) => call.method === "POST" && /^\/webhooks\/\d+\/[^/]+$/.test(call.path);

describe("/ask", () => {
  it("in a DM: defers at once, then the answer edits the reply, in the DM's conversation", async () => {
    const h = await start();
    const { id, token } = h.command("ask", { question: "What is Twilio?" });
    await h.rest.waitForCalls(isEdit, 1);
    const record = h.rest.interactions.get(token);
    expect(record?.callbacks).toEqual([{ type: 5 }]);
    expect(record?.original?.content).toContain("You said: “What is Twilio?”");
    expect(h.core.simulator.received).toEqual([
      expect.objectContaining({
        identity: `user_id:discord_${USER.id}`,
        sessionId: `discord__dm/${DM_CHANNEL_ID}/${DM_CHANNEL_ID}`,
        body: "What is Twilio?",
      }),
    ]);
    // The deferral is the bot's first word on the interaction; no thread in a DM, no channel message.
    const calls = h.rest.calls.filter((call) => call.method !== "GET" || ORIGINAL.test(call.path));
    expect(calls.findIndex(isCallback(id))).toBeLessThan(calls.findIndex(isEdit));
    expect(h.rest.calls.some((call) => call.path.endsWith("/threads"))).toBe(false);
    expect(h.rest.created).toEqual([]);
    // A typed DM afterwards goes on in the same conversation.
    h.dm("And Segment?");
    const [answer] = await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    expect(answer?.content).toContain("message 2 of our conversation");
  });

  it("in a text channel: the answer edits the reply, a thread starts on it, and follow-ups there need no mention", async () => {
    const h = await start();
    const { token } = h.command("ask", { question: "How do webhooks work?", where: "text" });
    const [threadCall] = await h.rest.waitForCalls((call) => call.path.endsWith("/threads"), 1);
    const replyId = h.rest.interactions.get(token)?.original?.id ?? "";
    expect(threadCall?.path).toBe(`/channels/${TEXT_CHANNEL_ID}/messages/${replyId}/threads`);
    expect(threadCall?.body?.name).toBe("How do webhooks work?");
    expect(h.rest.calls.findIndex(isEdit)).toBeLessThan(h.rest.calls.indexOf(threadCall as RestCall));
    const session = `discord__${GUILD_ID}/${TEXT_CHANNEL_ID}/${replyId}`;
    expect(h.core.simulator.received[0]?.sessionId).toBe(session);

    h.say("and retries?", { channelId: replyId });
    const [followUp] = await h.rest.messagesIn(replyId, 1);
    expect(followUp?.content).toContain("message 2 of our conversation");
    expect(h.core.simulator.received[1]?.sessionId).toBe(session);
  });

  it("in a thread: answers in that thread's conversation without starting another", async () => {
    const h = await start();
    const question = h.mention("first topic");
    await h.rest.messagesIn(question, 1);
    const { token } = h.command("ask", { question: "more on that", where: { thread: question } });
    await h.rest.waitForCalls(isEdit, 1);
    expect(h.rest.interactions.get(token)?.original?.content).toContain("message 2 of our conversation");
    expect(h.rest.calls.filter((call) => call.path.endsWith("/threads"))).toHaveLength(1);
  });

  it("continues a long answer in follow-ups, split as messages are", async () => {
    const paragraph = "word ".repeat(300).trim();
    const long = Array.from({ length: 4 }, () => paragraph).join("\n\n");
    const h = await start(scripted(() => ({ kind: "answer", body: long })));
    const { token } = h.command("ask", { question: "tell me everything" });
    await h.rest.waitForCalls(isFollowUp, 1);
    await h.core.bridge.stop(1000);
    const record = h.rest.interactions.get(token);
    const parts = [record?.original?.content ?? "", ...(record?.followUps ?? []).map((m) => m.content)];
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(2000);
    expect(parts.join("\n\n")).toBe(long);
    expect(record?.followUps.every((m) => m.flags === 0)).toBe(true);
  });

  it("tells a busy and a too-long question only to the asker", async () => {
    const h = await start({
      core: { maxInputChars: 20, queue: { maxPendingPerUser: 1 }, simulator: { latencyMs: 300 } },
    });
    h.command("ask", { question: "a slow one" });
    const busy = h.command("ask", { question: "another" });
    const tooLong = h.command("ask", { question: "x".repeat(50) });
    await h.rest.waitForCalls(isFollowUp, 2);
    for (const [{ token }, text] of [
      [busy, notices.busy()],
      [tooLong, notices.tooLong(20)],
    ] as const) {
      const record = h.rest.interactions.get(token);
      expect(record?.deleted).toBe(true);
      expect(record?.followUps).toEqual([expect.objectContaining({ content: text, flags: 64 })]);
    }
  });

  it("tells a refusal only to the asker, and asks the assistant nothing", async () => {
    const h = await start({ config: { allowedUsers: new Set(["1400000000000000999"]) } });
    const { token } = h.command("ask", { question: "may I?", where: "text" });
    await h.rest.waitForCalls(isFollowUp, 1);
    const record = h.rest.interactions.get(token);
    expect(record?.deleted).toBe(true);
    expect(record?.followUps).toEqual([expect.objectContaining({ content: REFUSAL, flags: 64 })]);
    expect(h.core.simulator.received).toEqual([]);
    expect(h.rest.calls.some((call) => call.path.endsWith("/threads"))).toBe(false);
  });

  it("after the token's 15 minutes, posts the answer as an ordinary message in the thread", async () => {
    const h = await start(scripted(() => ({ kind: "answer", body: "Worth the wait.", delayMs: 300 })));
    const { token } = h.command("ask", { question: "slow one", where: "text" });
    await h.rest.waitForCalls((call) => call.method === "GET" && ORIGINAL.test(call.path), 1);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 15 * 60_000);
    const replyId = h.rest.interactions.get(token)?.original?.id ?? "";
    const [answer] = await h.rest.messagesIn(replyId, 1);
    expect(answer?.content).toBe("Worth the wait.");
    expect(h.rest.calls.some(isEdit)).toBe(false);
    expect(h.rest.calls.filter((call) => call.path.endsWith("/threads"))).toHaveLength(1);
  });

  it("in a DM, an answer after the token's lifetime replies to the deferred reply", async () => {
    const h = await start(scripted(() => ({ kind: "answer", body: "Late.", delayMs: 300 })));
    const { token } = h.command("ask", { question: "slow one" });
    await h.rest.waitForCalls((call) => call.method === "GET" && ORIGINAL.test(call.path), 1);
    // Discord refuses the token (it lived its 15 minutes): the answer goes out as a message instead.
    const record = h.rest.interactions.get(token);
    if (record) record.expired = true;
    const [answer] = await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    expect(answer?.content).toBe("Late.");
    expect(answer?.body.message_reference).toEqual({
      message_id: record?.original?.id,
      fail_if_not_exists: false,
    });
    expect(h.core.logLines.join("")).not.toContain(token);
  });
});

describe("interaction errors", () => {
  it("never carry the interaction token into the logs", async () => {
    const h = await start();
    h.rest.override = (call) =>
      isEdit(call) ? { status: 400, body: { code: 50035, message: "Invalid Form Body" } } : undefined;
    const { token } = h.command("ask", { question: "hello" });
    await h.rest.waitForCalls(isEdit, 1);
    await h.core.bridge.stop(1000);
    const logs = h.core.logLines.join("");
    expect(logs).toContain("could not post the reply");
    expect(logs).toContain("Invalid Form Body");
    expect(logs).not.toContain(token);
  });
});

describe("classifyCommand", () => {
  const view = (fields: Partial<CommandView>): CommandView => ({
    id: "1",
    token: "t",
    applicationId: "2",
    createdAt: 0,
    name: "ask",
    question: "why?",
    userId: "3",
    guildId: "4",
    channelId: "5",
    channel: "text",
    parentId: null,
    ...fields,
  });

  it("takes /ask with a question in DMs, text channels and threads", () => {
    for (const channel of ["dm", "text", "thread"] as const) {
      expect(classifyCommand(view({ channel }))).toEqual({ kind: "ask", text: "why?" });
    }
  });

  it("answers what it cannot take with a notice", () => {
    expect(classifyCommand(view({ question: "" }))).toMatchObject({ kind: "notice", text: EMPTY });
    expect(classifyCommand(view({ channel: "other" }))).toMatchObject({ kind: "notice", text: NOT_HERE });
    expect(classifyCommand(view({ name: "dance" }))).toMatchObject({ kind: "notice", text: UNKNOWN });
    expect(classifyCommand(view({ name: "new", question: "" }))).toEqual({ kind: "new" });
  });
});

describe("/new", () => {
  it("in a DM: starts a fresh conversation and says so, to the user only", async () => {
    const h = await start();
    h.dm("remember 7");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    const { id, token } = h.command("new");
    await h.rest.waitForCalls(isCallback(id), 1);
    expect(h.rest.interactions.get(token)?.callbacks).toEqual([
      { type: 4, data: { content: NEW_CONVERSATION, flags: 64, allowed_mentions: { parse: [] } } },
    ]);
    h.dm("what number?");
    await h.rest.messagesIn(DM_CHANNEL_ID, 2);
    const [before, after] = h.core.simulator.received;
    expect(after?.sessionId).toBe(`discord__dm/${DM_CHANNEL_ID}/${id}`);
    expect(after?.sessionId).not.toBe(before?.sessionId);
  });

  it("in a text channel: says every question there is already a conversation of its own", async () => {
    const h = await start();
    const { id, token } = h.command("new", { where: "text" });
    await h.rest.waitForCalls(isCallback(id), 1);
    expect(h.rest.interactions.get(token)?.callbacks[0]).toMatchObject({
      type: 4,
      data: { content: NEW_IN_CHANNEL, flags: 64 },
    });
  });
});

describe("other interactions", () => {
  it("leaves everything but chat-input commands to other listeners", async () => {
    const h = await start();
    const { token } = h.command("feedback", { type: 3 });
    h.dm("a barrier");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    await h.gateway.roundTrip();
    expect(h.rest.interactions.get(token)?.callbacks).toEqual([]);
  });
});

describe("follow-ups are safe to retry (they carry no nonce)", () => {
  const long = Array.from({ length: 3 }, () => "word ".repeat(300).trim()).join("\n\n");

  it("a 500 after Discord posted the follow-up is not repeated: each part appears once, the gap is logged", async () => {
    const h = await start(scripted(() => ({ kind: "answer", body: long })));
    let failed = false;
    h.rest.override = (call) => {
      if (!isFollowUp(call) || failed) return undefined;
      failed = true;
      return { status: 500, body: { message: "Internal Server Error", code: 0 }, afterEffect: true };
    };
    const { token } = h.command("ask", { question: "tell me everything" });
    await h.rest.waitForCalls(isFollowUp, 2);
    await h.core.bridge.stop(1000);
    const record = h.rest.interactions.get(token);
    const parts = [record?.original?.content ?? "", ...(record?.followUps ?? []).map((m) => m.content)];
    expect(parts.join("\n\n")).toBe(long);
    expect(h.rest.calls.filter(isFollowUp)).toHaveLength(2);
    expect(
      h.core.logLines.some((l) => l.includes("may not have been posted") && l.includes('"level":50')),
    ).toBe(true);
  });

  it("a 503 (nothing posted) is sent again and arrives once", async () => {
    const h = await start(scripted(() => ({ kind: "answer", body: long })));
    let failed = false;
    h.rest.override = (call) => {
      if (!isFollowUp(call) || failed) return undefined;
      failed = true;
      return { status: 503, body: { message: "Service Unavailable", code: 0 } };
    };
    const { token } = h.command("ask", { question: "tell me everything" });
    await h.rest.waitForCalls(isFollowUp, 3, 5_000);
    await h.core.bridge.stop(1000);
    const record = h.rest.interactions.get(token);
    const parts = [record?.original?.content ?? "", ...(record?.followUps ?? []).map((m) => m.content)];
    expect(parts.join("\n\n")).toBe(long);
    // Three calls for two follow-ups: the one refused with 503 was sent again, once.
    expect(h.rest.calls.filter(isFollowUp)).toHaveLength(3);
    expect(record?.followUps).toHaveLength(2);
  });
});
