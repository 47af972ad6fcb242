import { TtlSet } from "../../src/collections/ttl-set.js";
import type { SlackConfig } from "../../src/config.js";
import type { Logger } from "../../src/logger.js";
import type { ChatMessage, MessageSink } from "../../src/types.js";
import type { CredentialHealth } from "./credentials.js";
import { classifyEvent, type IncomingMessage, messageId, threadKey } from "./events.js";
import { postNotice, type SlackPortDeps, slackThreadPort } from "./replies.js";
import { readableText, unnamedMentions } from "./tokens.js";
import type { SlackUser, UserDirectory } from "./users.js";
import { EMPTY_QUESTION, REFUSAL_CHANNEL, REFUSAL_USER } from "./wording.js";

export interface SlackIntakeOptions {
  config: Pick<SlackConfig, "threadFollowups" | "identity" | "allowedChannels" | "allowedUsers">;
  sink: MessageSink;
  logger: Logger;
  /** Posts replies and notices. */
  ports: SlackPortDeps;
  /** While the bot token does not work, no message is taken: no reply could be posted. */
  health: CredentialHealth;
  users: UserDirectory;
}

/**
 * Threads the bot answers, so replies there need no mention: a day after the last message, bounded
 * to the most recent 50,000. Memory only: forgotten on restart (a new mention brings the bot back).
 */
const ACTIVE_THREADS = { ttlMs: 24 * 3_600_000, maxEntries: 50_000 };
/** Refusals and hints already sent, so an event's twin or retry does not send another. */
const NOTICED = { ttlMs: 15 * 60_000, maxEntries: 50_000 };

/**
 * From a Slack event to one `sink.submit`: classify, check the allow-lists, make the text readable,
 * hand over. Synchronous unless a name or an email must be looked up first; then the message waits
 * in its thread's line, so messages of one thread still reach the core in the order they came.
 */
export class SlackIntake {
  readonly #options: SlackIntakeOptions;
  readonly #activeThreads = new TtlSet(ACTIVE_THREADS);
  readonly #noticed = new TtlSet(NOTICED);
  /** Per thread, the last message waiting for a lookup; deleted when the thread's line empties. */
  readonly #lines = new Map<string, Promise<void>>();

  constructor(options: SlackIntakeOptions) {
    this.#options = options;
  }

  /** Takes one `app_mention` or `message` event; never throws on a malformed one. */
  handle(body: unknown, event: unknown, botUserId: string | undefined): void {
    const { config, logger, users } = this.#options;
    const classified = classifyEvent(body, event, {
      botUserId,
      threadFollowups: config.threadFollowups,
      isActiveThread: (key) => this.#activeThreads.has(key),
    });
    if (!classified.take) {
      logger.debug({ reason: classified.reason }, "slack event skipped");
      return;
    }
    const message = classified.message;
    if (this.#unanswerable(message)) return;
    const key = threadKey(message.team, message.channel, message.thread);
    if (this.#refused(message, key)) return;
    if (message.trigger !== "dm") {
      // Refreshing on every message keeps a lively thread remembered.
      this.#activeThreads.delete(key);
      this.#activeThreads.add(key);
    }

    const needed = unnamedMentions(message.text, botUserId);
    if (config.identity === "email") needed.push(message.user);
    const missing = needed.filter((id) => users.cached(id) === undefined);
    const line = this.#lines.get(key);
    if (missing.length === 0 && line === undefined) {
      this.#submit(message, botUserId, (id) => users.cached(id));
      return;
    }
    const found = new Map<string, SlackUser | null>();
    const next = (line ?? Promise.resolve())
      .then(() => Promise.all(missing.map(async (id) => found.set(id, await users.lookup(id)))))
      .then(() => this.#submit(message, botUserId, (id) => found.get(id) ?? users.cached(id)))
      .catch((error: unknown) => logger.error({ err: error }, "could not hand a slack message over"))
      .finally(() => {
        if (this.#lines.get(key) === next) this.#lines.delete(key);
      });
    this.#lines.set(key, next);
  }

  /**
   * Resolves once every message waiting for a lookup has been handed over, or after `timeoutMs`;
   * returns how many threads still had messages waiting.
   */
  async drain(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        expired = true;
        resolve();
      }, timeoutMs);
    });
    while (this.#lines.size > 0 && !expired) {
      await Promise.race([Promise.allSettled([...this.#lines.values()]), deadline]);
    }
    clearTimeout(timer);
    return this.#lines.size;
  }

  #submit(
    message: IncomingMessage,
    botUserId: string | undefined,
    user: (id: string) => SlackUser | null | undefined,
  ) {
    const { config, sink, logger, ports } = this.#options;
    if (this.#unanswerable(message)) return;
    const text = readableText(message.text, { botUserId, userName: (id) => user(id)?.name ?? undefined });
    if (text === "") {
      this.#notice(message, `empty:${messageId(message)}`, EMPTY_QUESTION);
      return;
    }
    // Without an address (bots, guests, no users:read.email) the core falls back to the user id.
    const email = config.identity === "email" ? user(message.user)?.email : null;
    const chat: ChatMessage = {
      platform: "slack",
      workspace: message.team,
      channel: message.channel,
      thread: message.thread,
      user: message.user,
      text,
      id: messageId(message),
      ...(email ? { identity: `email:${email}` } : {}),
    };
    const result = sink.submit(chat, slackThreadPort(ports, message));
    logger.debug({ id: chat.id, trigger: message.trigger, result }, "slack message handed to the core");
  }

  /** Answers a message outside the allow-lists with one polite refusal; true when it did. */
  #refused(message: IncomingMessage, key: string): boolean {
    const { allowedUsers, allowedChannels } = this.#options.config;
    // The channel list is about channels: direct messages are governed by the user list alone.
    const channelRefused =
      allowedChannels !== null && message.trigger !== "dm" && !allowedChannels.has(message.channel);
    const userRefused = allowedUsers !== null && !allowedUsers.has(message.user);
    if (!channelRefused && !userRefused) return false;
    // A follow-up was not addressed to the bot: one refusal per person and thread is enough.
    const noticeKey =
      message.trigger === "followup" ? `refused:${key}:${message.user}` : `refused:${messageId(message)}`;
    this.#notice(message, noticeKey, channelRefused ? REFUSAL_CHANNEL : REFUSAL_USER);
    return true;
  }

  #notice(message: IncomingMessage, noticeKey: string, text: string): void {
    const { ports, logger } = this.#options;
    if (!this.#noticed.add(noticeKey)) return;
    logger.info({ id: messageId(message), notice: noticeKey.split(":")[0] }, "slack message not taken");
    postNotice(ports, message, text, noticeKey).catch((error: unknown) =>
      logger.error({ err: error }, "could not post a slack notice"),
    );
  }

  /** True (and counted) when the bot token does not work: the assistant call would be spent for nothing. */
  #unanswerable(message: IncomingMessage): boolean {
    const { health, logger, ports } = this.#options;
    if (health.healthy) return false;
    ports.metrics.messagesUnanswerable.inc({ platform: "slack", reason: "credentials" });
    logger.debug({ id: messageId(message) }, "slack message not taken: the bot token does not work");
    return true;
  }
}
