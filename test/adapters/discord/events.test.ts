import { MessageType } from "discord.js";
import { describe, expect, it } from "vitest";
import {
  classify,
  type MessageView,
  NOT_OUR_THREAD,
  stripBotMentions,
  threadNameFor,
} from "../../../adapters/discord/events.js";

const BOT = "900";

function view(overrides: Partial<MessageView> = {}): MessageView {
  return {
    id: "1",
    type: MessageType.Default,
    system: false,
    authorId: "100",
    authorIsBot: false,
    fromWebhook: false,
    text: "What is Twilio?",
    guildId: null,
    channelId: "10",
    channel: "dm",
    threadOwnerId: null,
    parentId: null,
    mentionsBot: false,
    repliesTo: null,
    ...overrides,
  };
}

describe("classify", () => {
  it("answers every DM and knows /new", () => {
    expect(classify(view(), BOT)).toEqual({ kind: "dm", text: "What is Twilio?" });
    expect(classify(view({ text: " /NEW " }), BOT)).toEqual({ kind: "dm_new" });
  });

  it("starts a thread for a mention in a text channel, and ignores the rest of the channel", () => {
    const inChannel = { channel: "text" as const, guildId: "5" };
    expect(classify(view({ ...inChannel, mentionsBot: true }), BOT)).toEqual({
      kind: "mention",
      text: "What is Twilio?",
      threadName: "What is Twilio?",
    });
    expect(classify(view(inChannel), BOT).kind).toBe("ignore");
  });

  it("answers in the bot's own threads without a mention, elsewhere only when mentioned", () => {
    const thread = { channel: "thread" as const, guildId: "5", parentId: "10", channelId: "20" };
    expect(classify(view({ ...thread, threadOwnerId: BOT }), BOT)).toEqual({
      kind: "thread",
      text: "What is Twilio?",
    });
    expect(classify(view({ ...thread, threadOwnerId: "100" }), BOT)).toEqual({
      kind: "ignore",
      reason: NOT_OUR_THREAD,
    });
    expect(classify(view({ ...thread, threadOwnerId: "100", mentionsBot: true }), BOT).kind).toBe("thread");
    expect(classify(view({ ...thread, threadOwnerId: BOT, text: "/new" }), BOT)).toEqual({
      kind: "thread_new",
    });
  });

  it("ignores bots (itself included), webhooks, system messages and other message types", () => {
    expect(classify(view({ authorIsBot: true }), BOT).kind).toBe("ignore");
    expect(classify(view({ authorId: BOT }), BOT).kind).toBe("ignore");
    expect(classify(view({ fromWebhook: true }), BOT).kind).toBe("ignore");
    expect(classify(view({ system: true }), BOT).kind).toBe("ignore");
    expect(classify(view({ type: MessageType.ThreadCreated }), BOT).kind).toBe("ignore");
    expect(classify(view({ type: MessageType.ChatInputCommand }), BOT).kind).toBe("ignore");
    expect(classify(view({ type: MessageType.Reply }), BOT).kind).toBe("dm");
  });

  it("ignores messages without text (an attachment alone, a bare mention)", () => {
    expect(classify(view({ text: "  " }), BOT).kind).toBe("ignore");
    expect(classify(view({ text: "", channel: "text", mentionsBot: true }), BOT).kind).toBe("ignore");
  });
});

describe("threadNameFor", () => {
  it("uses the question on one line", () => {
    expect(threadNameFor("How do I\n  send an SMS?")).toBe("How do I send an SMS?");
  });

  it("keeps to 100 characters, cut at a word", () => {
    const name = threadNameFor(`${"word ".repeat(40)}end`);
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).toMatch(/^(word )+word…$/);
    expect(threadNameFor("x".repeat(300))).toHaveLength(100);
  });
});

describe("stripBotMentions", () => {
  it("removes the bot's user and role mentions and keeps other people's", () => {
    expect(stripBotMentions(`<@${BOT}> ask <@!${BOT}> <@123> about <@&77>`, BOT, "77")).toBe(
      "ask <@123> about",
    );
  });

  it("leaves the rest of the text alone, indentation included", () => {
    const code = "fix this:\n```py\ndef f():\n    return  1\n```";
    expect(stripBotMentions(`<@${BOT}> ${code}`, BOT, null)).toBe(code);
  });
});
