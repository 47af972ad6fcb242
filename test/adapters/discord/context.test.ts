import { RateLimitError, type REST } from "discord.js";
import { describe, expect, it } from "vitest";
import { type ContextMark, ContextReads } from "../../../adapters/discord/context.js";
import { ASSISTANT_SPEAKER, CONTEXT_FOOTER, CONTEXT_HEADER } from "../../../src/pipeline/context.js";
import {
  type DiscordHarness,
  type HarnessOptions,
  seedThread,
  useDiscordHarness,
} from "../../support/discord-harness.js";
import {
  BOT_USER,
  DM_CHANNEL_ID,
  GUILD_ID,
  messagePayload,
  OTHER_USER,
  snowflake,
  TEXT_CHANNEL_ID,
  USER,
} from "../../support/discord-ids.js";
import type { RestCall } from "../../support/discord-rest.js";

const start = useDiscordHarness();
const LIMITS = { maxMessages: 20, maxChars: 4_000 };
const withContext = (options: HarnessOptions = {}) =>
  start({ ...options, core: { threadContext: LIMITS, ...options.core } });

const bodies = (h: DiscordHarness) => h.core.simulator.received.map((request) => request.body);
const reads = (h: DiscordHarness) =>
  h.rest.calls.filter((call: RestCall) => call.method === "GET" && /\/messages(\/\d+)?$/.test(call.path));

/** A mention that replies to `messageId` (type 19, with its message_reference). */
function replyMention(h: DiscordHarness, text: string, messageId: string): string {
  return h.mention(text, {
    type: 19,
    extra: { message_reference: { message_id: messageId, channel_id: TEXT_CHANNEL_ID, guild_id: GUILD_ID } },
  });
}

/** Someone else's thread in the test guild, as GET /channels/:id returns it. */
function strangersThread(h: DiscordHarness): string {
  return seedThread(h, { owner: USER.id, name: "t" });
}

describe("Discord thread context (real discord.js, REST double, real core)", () => {
  it("a mention that replies to another message carries that message", async () => {
    const h = await withContext();
    const earlier = h.say("The webhook returns <@1400000000000000001>'s 500 error", {
      author: OTHER_USER,
      extra: { mentions: [USER], attachments: [{ id: snowflake(), filename: "trace.txt" }] },
    });
    const question = replyMention(h, "is that right?", earlier);
    await h.rest.messagesIn(question, 1);
    expect(bodies(h)).toEqual([
      [
        CONTEXT_HEADER,
        "Grace: The webhook returns @Ada's 500 error [a file: trace.txt]",
        CONTEXT_FOOTER,
        "",
        "Question: is that right?",
      ].join("\n"),
    ]);
    expect(reads(h).map((call) => call.path)).toEqual([`/channels/${TEXT_CHANNEL_ID}/messages/${earlier}`]);
  });

  it("a first mention in someone else's thread carries its recent messages; the next one does not", async () => {
    const h = await withContext();
    const thread = strangersThread(h);
    h.say("Our checkout is slow since Monday", { channelId: thread });
    h.say("Only for EU customers", { channelId: thread, author: OTHER_USER });
    h.say("An earlier answer of mine", { channelId: thread, author: { ...BOT_USER } });
    const question = h.mention("what could it be?", { channelId: thread });
    await h.rest.messagesIn(thread, 1);
    expect(bodies(h)[0]).toBe(
      [
        CONTEXT_HEADER,
        "Ada: Our checkout is slow since Monday",
        "Grace: Only for EU customers",
        `${ASSISTANT_SPEAKER}: An earlier answer of mine`,
        CONTEXT_FOOTER,
        "",
        "Question: what could it be?",
      ].join("\n"),
    );
    const [read] = reads(h);
    expect(read?.path).toBe(`/channels/${thread}/messages`);
    expect(Object.fromEntries(read?.query ?? [])).toEqual({ before: question, limit: "20" });

    h.mention("and how do I check?", { channelId: thread });
    await h.rest.messagesIn(thread, 2);
    expect(bodies(h)[1]).toBe("and how do I check?");
    expect(reads(h)).toHaveLength(1);
  });

  it("a mention in a text channel, a follow-up in the bot's thread and a DM read nothing", async () => {
    const h = await withContext();
    const question = h.mention("a fresh question");
    await h.rest.messagesIn(question, 1);
    h.say("a follow-up", { channelId: question });
    await h.rest.messagesIn(question, 2);
    h.dm("in a DM");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    expect(bodies(h)).toEqual(["a fresh question", "a follow-up", "in a DM"]);
    expect(reads(h).filter((call) => !call.path.startsWith(`/channels/${DM_CHANNEL_ID}/`))).toEqual([]);
  });

  it("THREAD_CONTEXT=off reads nothing", async () => {
    const h = await start({ core: { threadContext: null } });
    const earlier = h.say("something said before", { author: OTHER_USER });
    const question = replyMention(h, "is that right?", earlier);
    await h.rest.messagesIn(question, 1);
    expect(bodies(h)).toEqual(["is that right?"]);
    expect(reads(h)).toEqual([]);
  });

  it("a refused read leaves the plain question, answered, with one warning", async () => {
    const h = await withContext();
    h.rest.override = (call) =>
      call.method === "GET" && /\/messages\/\d+$/.test(call.path)
        ? { status: 403, body: { code: 50001, message: "Missing Access" } }
        : undefined;
    const earlier = h.say("something said before", { author: OTHER_USER });
    const question = replyMention(h, "is that right?", earlier);
    const [answer] = await h.rest.messagesIn(question, 1);
    expect(answer?.content).toContain("is that right?");
    expect(bodies(h)).toEqual(["is that right?"]);
    const warned = h.core.logLines.filter((line) => line.includes("the question goes alone"));
    expect(warned).toHaveLength(1);
  });

  it("a rate-limited read is not waited for, and reads wait out its Retry-After", async () => {
    const h = await withContext();
    h.rest.override = (call) =>
      call.method === "GET" && /\/messages\/\d+$/.test(call.path)
        ? {
            status: 429,
            body: { message: "You are being rate limited.", retry_after: 30, global: false },
            headers: { "retry-after": "30" },
          }
        : undefined;
    const earlier = h.say("something said before", { author: OTHER_USER });
    const first = replyMention(h, "is that right?", earlier);
    await h.rest.messagesIn(first, 1);
    const second = replyMention(h, "and this?", earlier);
    await h.rest.messagesIn(second, 1);
    expect(bodies(h)).toEqual(["is that right?", "and this?"]);
    // One read, given up on Discord's 429 (not on the 4 s timeout); the next one not even tried.
    expect(reads(h)).toHaveLength(1);
    const warned = h.core.logLines.filter((line) => line.includes("the question goes alone"));
    expect(warned).toHaveLength(2);
    expect(warned[0]).toContain("RateLimitError");
    expect(warned[1]).toContain("rate-limited for");
  });

  it("with the OpenAI backend the chat request's user message carries the block", async () => {
    const h = await withContext({ core: { backend: "openai", threadContext: LIMITS } });
    const earlier = h.say("The webhook returns 500", { author: OTHER_USER });
    const question = replyMention(h, "why?", earlier);
    await h.rest.messagesIn(question, 1);
    expect(h.core.simulator.chatRequests[0]?.messages.at(-1)).toEqual({
      role: "user",
      content: [CONTEXT_HEADER, "Grace: The webhook returns 500", CONTEXT_FOOTER, "", "Question: why?"].join(
        "\n",
      ),
    });
  });
});

describe("ContextReads", () => {
  const mark: ContextMark = { context: "reply", contextChannel: "C", contextMessage: "M" };
  const rateLimited = (retryAfter: number) =>
    new RateLimitError({
      timeToReset: retryAfter,
      limit: 5,
      method: "GET",
      hash: "h",
      url: "http://127.0.0.1/api/v10/channels/C/messages/M",
      route: "/channels/:id/messages/:id",
      majorParameter: "C",
      global: false,
      retryAfter,
      sublimitTimeout: 0,
      scope: "user",
    });

  it("skips reads until the Retry-After of a rate-limited one has passed", async () => {
    let clock = 1_000_000;
    let answer: () => Promise<unknown> = () => Promise.reject(rateLimited(30_000));
    let calls = 0;
    const rest = {
      get: () => {
        calls++;
        return answer();
      },
    } as unknown as REST;
    const reads = new ContextReads({ rest, botId: () => undefined, now: () => clock });
    const signal = new AbortController().signal;

    await expect(reads.read(mark, 20, signal)).rejects.toBeInstanceOf(RateLimitError);
    answer = async () => messagePayload({ id: "M", content: "hello", author: OTHER_USER });
    clock += 29_999;
    await expect(reads.read(mark, 20, signal)).rejects.toThrow(/rate-limited for 1 ms more/);
    expect(calls).toBe(1);
    clock += 1;
    await expect(reads.read(mark, 20, signal)).resolves.toEqual([
      { speaker: "Grace", fromAssistant: false, text: "hello" },
    ]);
    expect(calls).toBe(2);
  });
});
