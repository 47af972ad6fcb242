/**
 * The earlier messages of a Slack thread, for a mention that starts a session in the middle of it
 * (intake.ts marks those): `conversations.replies` through the one transport (api.ts), once per such
 * mention. Slack pages a thread OLDEST first from its parent, so the newest messages are on the last
 * page: the reader pages to the message asked about (at most MAX_PAGES pages of PAGE_LIMIT) and keeps
 * the newest. Each page is a call of the method's one pace (replies-pace.ts), shared with the
 * poster's look-ups: a read never waits for it, it goes without context when no call is left or a
 * 429's Retry-After still holds (its own or a look-up's).
 */
import type { Logger } from "../../src/logger.js";
import type { ContextMessage } from "../../src/types.js";
import { type SlackAnswer, type SlackCaller, SlackRateLimitedError } from "./api.js";
import type { RepliesPace } from "./replies-pace.js";
import { readableText, unnamedMentions } from "./tokens.js";
import type { UserDirectory } from "./users.js";

/** Messages per `conversations.replies` page (Slack's most; distributed non-Marketplace apps get 15). */
export const PAGE_LIMIT = 200;
/** Pages read at most: a thread longer than 1,000 messages before the question gets no context. */
export const MAX_PAGES = 5;

const TS = /^\d+\.\d+$/;
/** Subtypes that are someone writing in the thread; joins, tombstones of deleted messages… are not. */
const WRITTEN: ReadonlySet<string> = new Set(["thread_broadcast", "file_share", "bot_message", "me_message"]);

export interface SlackContextOptions {
  call: SlackCaller;
  users: UserDirectory;
  /** Who the bot is (from auth.test at start): its messages are the assistant's. */
  bot: () => { botUserId?: string; botId?: string } | null;
  logger: Logger;
  /** The pace of conversations.replies, shared with the poster's look-ups. */
  replies: RepliesPace;
}

/** Where the question was asked, as its reply address holds it. */
export interface ContextTarget {
  channel: string;
  /** The thread's root ts. */
  thread: string;
  /** The question's own ts: it and anything after it are not context. */
  ts: string;
}

/** The reads of one adapter, each page in a turn of conversations.replies' shared pace. */
export class SlackThreadReader {
  readonly #options: SlackContextOptions;

  constructor(options: SlackContextOptions) {
    this.#options = options;
  }

  /** The thread's messages before the question, oldest first, at most `maxMessages` (the newest). */
  async read(target: ContextTarget, maxMessages: number, signal: AbortSignal): Promise<ContextMessage[]> {
    const earlier: Array<Record<string, unknown>> = [];
    let cursor: string | undefined;
    for (let page = 1; ; page++) {
      const answer = await this.#page(target, cursor, signal);
      let reached = false;
      for (const message of Array.isArray(answer.messages) ? answer.messages : []) {
        if (!isRecord(message) || typeof message.ts !== "string" || !TS.test(message.ts)) continue;
        if (compareTs(message.ts, target.ts) >= 0) {
          reached = true;
          break;
        }
        earlier.push(message);
        if (earlier.length > maxMessages) earlier.shift();
      }
      cursor = nextCursor(answer);
      if (reached || cursor === undefined) {
        this.#options.logger.debug({ pages: page, messages: earlier.length }, "slack thread read");
        break;
      }
      if (page === MAX_PAGES) {
        throw new Error(
          `the thread is longer than ${MAX_PAGES * PAGE_LIMIT} messages; its newest were not read`,
        );
      }
    }
    return this.#render(earlier.filter(isWritten));
  }

  async #page(target: ContextTarget, cursor: string | undefined, signal: AbortSignal): Promise<SlackAnswer> {
    const { replies } = this.#options;
    if (!replies.tryTake()) {
      const limitedMs = replies.limitedForMs();
      throw new Error(
        limitedMs > 0
          ? `conversations.replies is rate-limited for ${Math.ceil(limitedMs / 1000)} s more`
          : "no conversations.replies call is left this minute (SLACK_LOOKUPS_PER_MINUTE)",
      );
    }
    const args = { channel: target.channel, ts: target.thread, limit: PAGE_LIMIT, cursor };
    try {
      return await this.#options.call("conversations.replies", args, signal);
    } catch (error) {
      if (error instanceof SlackRateLimitedError) replies.limited(error.retryAfterMs);
      throw error;
    }
  }

  /** Speakers' names as the bridge shows mentions (users.info, cached), the bot's own as the assistant's. */
  async #render(messages: ReadonlyArray<Record<string, unknown>>): Promise<ContextMessage[]> {
    const { users } = this.#options;
    const bot = this.#options.bot() ?? {};
    const ids = new Set<string>();
    for (const message of messages) {
      if (typeof message.user === "string" && message.bot_id === undefined) ids.add(message.user);
      for (const id of unnamedMentions(text(message.text), bot.botUserId)) ids.add(id);
    }
    const names = new Map<string, string>();
    await Promise.all(
      [...ids].map(async (id) => {
        const name = (users.cached(id) ?? (await users.lookup(id)))?.name;
        if (name) names.set(id, name);
      }),
    );
    const userName = (id: string) => names.get(id);
    return messages.map((message) => {
      const own =
        (bot.botUserId !== undefined && message.user === bot.botUserId) ||
        (bot.botId !== undefined && message.bot_id === bot.botId);
      const body = readableText(text(message.text), { botUserId: bot.botUserId, userName });
      return {
        speaker: speakerOf(message, userName),
        fromAssistant: own,
        text: [body, ...placeholders(message)].filter((part) => part !== "").join(" "),
      };
    });
  }
}

function speakerOf(message: Record<string, unknown>, userName: (id: string) => string | undefined): string {
  if (message.bot_id !== undefined) {
    const profile = isRecord(message.bot_profile) ? message.bot_profile : {};
    return text(profile.name) || text(message.username) || "a bot";
  }
  const user = text(message.user);
  return userName(user) ?? (user || "someone");
}

/** Files and attachments as short placeholders: their contents are not read. */
function placeholders(message: Record<string, unknown>): string[] {
  const files = Array.isArray(message.files) ? message.files : [];
  const attachments = Array.isArray(message.attachments) ? message.attachments : [];
  return [
    ...files.map((file) => {
      const name = isRecord(file) ? text(file.name) || text(file.title) : "";
      return name ? `[a file: ${name}]` : "[a file]";
    }),
    ...attachments.map(() => "[an attachment]"),
  ];
}

function isWritten(message: Record<string, unknown>): boolean {
  return message.subtype === undefined || WRITTEN.has(String(message.subtype));
}

function nextCursor(answer: SlackAnswer): string | undefined {
  const metadata = answer.response_metadata;
  const cursor = isRecord(metadata) ? metadata.next_cursor : undefined;
  return typeof cursor === "string" && cursor !== "" ? cursor : undefined;
}

/** Orders two Slack ts (`seconds.micros`) exactly: as numbers they can lose the last digit. */
function compareTs(a: string, b: string): number {
  const [aSeconds = "", aMicros = ""] = a.split(".");
  const [bSeconds = "", bMicros = ""] = b.split(".");
  const seconds = BigInt(aSeconds || "0") - BigInt(bSeconds || "0");
  if (seconds !== 0n) return seconds < 0n ? -1 : 1;
  const [x, y] = [aMicros.padEnd(6, "0"), bMicros.padEnd(6, "0")];
  return x === y ? 0 : x < y ? -1 : 1;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
