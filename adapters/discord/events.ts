import { ChannelType, cleanContent, type Message, MessageType } from "discord.js";

/** What the adapter needs to know about a Discord message, free of discord.js objects (unit-testable). */
export interface MessageView {
  id: string;
  type: MessageType;
  system: boolean;
  authorId: string;
  authorIsBot: boolean;
  fromWebhook: boolean;
  /** The text with the bot's own mentions removed and other mentions shown as names. */
  text: string;
  guildId: string | null;
  channelId: string;
  channel: "dm" | "text" | "thread" | "other";
  /** For a thread: who started it (null when discord.js does not know yet) and its parent channel. */
  threadOwnerId: string | null;
  parentId: string | null;
  mentionsBot: boolean;
  /** The message this one replies to (a reply, type 19), else null. */
  repliesTo: { channelId: string; messageId: string } | null;
}

/** What a message asks the adapter to do. */
export type Trigger =
  | { kind: "ignore"; reason: string }
  /** A question in a DM: one conversation per DM channel until `/new`. */
  | { kind: "dm"; text: string }
  | { kind: "dm_new" }
  /** A mention in a server text channel: start a thread on it and answer there. */
  | { kind: "mention"; text: string; threadName: string }
  /** A message in the bot's own thread, or one that mentions the bot in someone else's thread. */
  | { kind: "thread"; text: string }
  | { kind: "thread_new" };

/** The command that starts a fresh conversation in a DM. */
export const NEW_COMMAND = "/new";
/** Why a thread message is ignored; it can change once the thread's owner is known. */
export const NOT_OUR_THREAD = "not the bot's thread";
/** Discord's limit for thread names. */
const THREAD_NAME_LIMIT = 100;

/**
 * Decides what a message is. Only what a person typed counts: bots (this one included), webhooks,
 * system messages and anything but plain messages and replies are ignored; edits never get here
 * (the adapter listens to new messages only).
 */
export function classify(view: MessageView, botId: string): Trigger {
  if (view.authorIsBot || view.fromWebhook || view.authorId === botId) return ignore("sent by a bot");
  // Reply (19) is a person answering a message, as much a question as a default message.
  if (view.system || (view.type !== MessageType.Default && view.type !== MessageType.Reply)) {
    return ignore(`not a user message (type ${view.type})`);
  }
  const text = view.text.trim();
  const isNew = text.toLowerCase() === NEW_COMMAND;
  switch (view.channel) {
    case "dm":
      if (isNew) return { kind: "dm_new" };
      return text === "" ? ignore("no text") : { kind: "dm", text };
    case "text":
      if (!view.mentionsBot) return ignore("does not mention the bot");
      return text === "" ? ignore("no text") : { kind: "mention", text, threadName: threadNameFor(text) };
    case "thread":
      if (view.threadOwnerId !== botId && !view.mentionsBot) return ignore(NOT_OUR_THREAD);
      if (isNew) return { kind: "thread_new" };
      return text === "" ? ignore("no text") : { kind: "thread", text };
    default:
      return ignore("not a DM, text channel or thread");
  }
}

/** A thread name from the question: one line, at most 100 characters, cut at a word when it can. */
export function threadNameFor(question: string): string {
  const line = question.replace(/\s+/g, " ").trim();
  if (line.length <= THREAD_NAME_LIMIT) return line === "" ? "Question" : line;
  const room = line.slice(0, THREAD_NAME_LIMIT - 1);
  const space = room.lastIndexOf(" ");
  return `${space >= THREAD_NAME_LIMIT / 2 ? room.slice(0, space) : room}…`;
}

/** Reads a discord.js message into a view. */
export function viewOf(message: Message, botId: string): MessageView {
  const channel = message.channel;
  const botRoleId = message.guild?.roles.botRoleFor(botId)?.id ?? null;
  const mentionsBot =
    message.mentions.users.has(botId) || (botRoleId !== null && message.mentions.roles.has(botRoleId));
  const raw = stripBotMentions(message.content ?? "", botId, botRoleId);
  let kind: MessageView["channel"] = "other";
  if (channel.type === ChannelType.DM) kind = "dm";
  else if (channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement)
    kind = "text";
  else if (channel.isThread()) kind = "thread";
  return {
    id: message.id,
    type: message.type,
    system: message.system,
    authorId: message.author.id,
    authorIsBot: message.author.bot,
    fromWebhook: message.webhookId !== null,
    text: raw === "" ? "" : cleanContent(raw, channel),
    guildId: message.guildId,
    channelId: message.channelId,
    channel: kind,
    threadOwnerId: channel.isThread() ? (channel.ownerId ?? null) : null,
    parentId: channel.isThread() ? channel.parentId : null,
    mentionsBot,
    repliesTo:
      message.type === MessageType.Reply && message.reference?.messageId
        ? { channelId: message.reference.channelId, messageId: message.reference.messageId }
        : null,
  };
}

/** Removes `<@bot>`, `<@!bot>` and the bot's role mention: they address the bot, they are not the question. */
export function stripBotMentions(content: string, botId: string, botRoleId: string | null): string {
  // Only the spaces around a mention go with it: indentation in pasted code stays as it was.
  let text = content.replace(new RegExp(`[ \\t]*<@!?${botId}>[ \\t]*`, "g"), " ");
  if (botRoleId) text = text.replace(new RegExp(`[ \\t]*<@&${botRoleId}>[ \\t]*`, "g"), " ");
  return text.trim();
}

function ignore(reason: string): Trigger {
  return { kind: "ignore", reason };
}
