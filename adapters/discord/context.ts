/**
 * The conversation a Discord question was asked in, for one that starts a session inside it (intake.ts
 * marks those): a server mention that replies to another message gets that one message; a mention in
 * a thread the bot has no session in gets the thread's recent messages (one GET before the question).
 * Only that message or that thread is ever read, through a REST client of its own that never waits out
 * a rate limit (`contextRest`).
 */
import { type APIMessage, MessageType, RateLimitError, type REST } from "discord.js";
import type { ContextMessage, ReplyAddress } from "../../src/types.js";
import { oneMessage, recentMessages } from "./api.js";
import { stripBotMentions } from "./events.js";

/** What to read, as the question's reply address holds it. */
export interface ContextMark {
  /** `reply`: the one message referred to; `thread`: the thread's messages before the question. */
  context: "reply" | "thread";
  contextChannel: string;
  /** `reply`: the message referred to; `thread`: the question (messages before it are read). */
  contextMessage: string;
}

/** Discord returns at most 100 messages a call. */
const MAX_PER_CALL = 100;

/** The mark in a reply address, or null when the question needs no read. */
export function contextMarkOf(address: ReplyAddress): ContextMark | null {
  const { context, contextChannel, contextMessage } = address;
  if ((context !== "reply" && context !== "thread") || typeof contextChannel !== "string") return null;
  if (typeof contextMessage !== "string") return null;
  return { context, contextChannel, contextMessage };
}

export interface ContextReadsOptions {
  /** Rejects on a rate limit instead of waiting it out (`contextRest`). */
  rest: REST;
  /** The bot's user id, once connected: its messages read for context are the assistant's. */
  botId: () => string | undefined;
  /** @default Date.now */
  now?: () => number;
}

/**
 * The context reads of one process. The core gives a read 4 seconds and then sends the plain
 * question: a rate-limited read is given up at once instead (the question is not held back), and
 * reads after it are not even tried until Discord's Retry-After has passed.
 */
export class ContextReads {
  readonly #options: ContextReadsOptions;
  /** Until when (ms since the epoch) Discord asked for no more reads. */
  #pausedUntil = 0;

  constructor(options: ContextReadsOptions) {
    this.#options = options;
  }

  /** The earlier messages, oldest first, at most `maxMessages`; rejects when rate-limited, now or still. */
  async read(mark: ContextMark, maxMessages: number, signal: AbortSignal): Promise<ContextMessage[]> {
    const now = this.#options.now ?? Date.now;
    const waitMs = this.#pausedUntil - now();
    if (waitMs > 0) throw new Error(`discord: context reads are rate-limited for ${waitMs} ms more`);
    try {
      return await readContext(this.#options.rest, this.#options.botId(), mark, maxMessages, signal);
    } catch (error) {
      if (error instanceof RateLimitError) {
        // Retry-After; a limit discord.js foresaw before sending (no 429 yet) has only its reset time.
        const retryMs = error.retryAfter > 0 ? error.retryAfter : error.timeToReset;
        this.#pausedUntil = Math.max(this.#pausedUntil, now() + retryMs);
      }
      throw error;
    }
  }
}

/** The earlier messages, oldest first, at most `maxMessages`; the bot's own are the assistant's. */
async function readContext(
  rest: REST,
  botId: string | undefined,
  mark: ContextMark,
  maxMessages: number,
  signal: AbortSignal,
): Promise<ContextMessage[]> {
  const { contextChannel: channel, contextMessage: message } = mark;
  const read =
    mark.context === "reply"
      ? [await oneMessage(rest, channel, message, signal)]
      : await recentMessages(rest, channel, message, Math.min(maxMessages, MAX_PER_CALL), signal);
  return read
    .filter(isWritten)
    .reverse()
    .map((each) => contextMessageOf(each, botId));
}

/** Plain messages and replies; thread starters, pins, joins… are Discord's, not someone writing. */
function isWritten(message: APIMessage): boolean {
  return message.type === MessageType.Default || message.type === MessageType.Reply;
}

function contextMessageOf(message: APIMessage, botId: string | undefined): ContextMessage {
  const { author } = message;
  let text = botId ? stripBotMentions(message.content ?? "", botId, null) : (message.content ?? "");
  // Mentions as the names people see.
  for (const user of message.mentions ?? []) {
    text = text.replace(new RegExp(`<@!?${user.id}>`, "g"), `@${user.global_name ?? user.username}`);
  }
  const placeholders = [
    ...(message.attachments ?? []).map((file) => (file.filename ? `[a file: ${file.filename}]` : "[a file]")),
    ...(message.embeds ?? []).map(() => "[an attachment]"),
  ];
  return {
    speaker: author.global_name ?? author.username,
    fromAssistant: botId !== undefined && author.id === botId,
    text: [text.trim(), ...placeholders].filter((part) => part !== "").join(" "),
  };
}
