import type { MessageSink, SharedMemory } from "../../src/adapter.js";
import { TtlSet } from "../../src/collections/ttl-set.js";
import type { SlackConfig } from "../../src/config.js";
import { identityFor } from "../../src/identity.js";
import type { Logger } from "../../src/logger.js";
import { notices } from "../../src/notices.js";
import { shouldTellRefusal } from "../../src/refusals.js";
import type { ChatMessage } from "../../src/types.js";
import { refusalFor } from "./access.js";
import { type Classification, classifyEvent, type IncomingMessage, messageId, threadKey } from "./events.js";
import { postNotice, type SlackPortDeps, type SlackTarget } from "./port.js";
import { readableText, unnamedMentions } from "./tokens.js";
import type { SlackUser, UserDirectory } from "./users.js";
import { EMPTY_QUESTION } from "./wording.js";

export interface SlackIntakeOptions {
  config: Pick<SlackConfig, "mode" | "threadFollowups" | "identity" | "allowedChannels" | "allowedUsers">;
  sink: MessageSink;
  /** Where the active threads are remembered (shared by every replica with Redis). */
  memory: SharedMemory;
  logger: Logger;
  /** Posts replies and notices. */
  ports: SlackPortDeps;
  users: UserDirectory;
}

/** The core did not take the message (store down, shutting down): the delivery must be refused. */
export class IntakeUnavailableError extends Error {
  override name = "IntakeUnavailableError";
  constructor(readonly result: "unavailable" | "stopped") {
    super(result === "stopped" ? "no longer taking Slack events" : "the message could not be stored");
  }
}

/** The shared-memory key of an active thread. */
function activeThreadKey(key: string): string {
  return `slack:active-thread:${key}`;
}

/**
 * How long a thread the bot answers stays one where replies need no mention: a day after its last
 * message. Kept in the store, so with Redis a restart or another replica remembers it too.
 */
const ACTIVE_THREAD_TTL_MS = 24 * 3_600_000;
/** Hints already sent, so an event's twin or retry does not send another. */
const NOTICED = { ttlMs: 15 * 60_000, maxEntries: 50_000 };

/**
 * From a Slack event to one `sink.submit`: classify, check the allow-lists, make the text readable,
 * hand over. Synchronous unless a name or an email must be looked up first; then the message waits
 * in its thread's line, so messages of one thread still reach the core in the order they came.
 */
export class SlackIntake {
  readonly #options: SlackIntakeOptions;
  readonly #noticed = new TtlSet(NOTICED);
  /** Per thread, the last message waiting for a lookup; deleted when the thread's line empties. */
  readonly #lines = new Map<string, Promise<void>>();

  constructor(options: SlackIntakeOptions) {
    this.#options = options;
  }

  /**
   * Takes one `app_mention` or `message` event; resolves once it is stored (or skipped), and rejects
   * with `IntakeUnavailableError` when the core could not store it, so the delivery is refused and
   * Slack delivers it again. A malformed event is skipped, never thrown on.
   */
  async handle(body: unknown, event: unknown, botUserId: string | undefined): Promise<void> {
    const { config, logger, users, memory } = this.#options;
    const classified = await this.#classify(body, event, botUserId);
    if (!classified.take) {
      logger.debug({ reason: classified.reason }, "slack event skipped");
      return;
    }
    const message = classified.message;
    const key = threadKey(message.team, message.channel, message.thread);
    if (await this.#refused(message, key)) return;
    const opensThread = await this.#opensThread(message, key);
    if (message.trigger !== "dm") {
      // Refreshing on every message keeps a lively thread remembered.
      await memory.remember(activeThreadKey(key), "1", ACTIVE_THREAD_TTL_MS).catch((error: unknown) => {
        logger.warn(
          { err: error },
          "could not remember the thread as active; follow-ups there need a mention",
        );
      });
    }

    const needed = unnamedMentions(message.text, botUserId);
    if (config.identity === "email") needed.push(message.user);
    const missing = needed.filter((id) => users.cached(id) === undefined);
    const line = this.#lines.get(key);
    if (missing.length === 0 && line === undefined) {
      return this.#submit(message, botUserId, (id) => users.cached(id), opensThread);
    }
    const found = new Map<string, SlackUser | null>();
    const handed = (line ?? Promise.resolve())
      .then(() => Promise.all(missing.map(async (id) => found.set(id, await users.lookup(id)))))
      .then(() => this.#submit(message, botUserId, (id) => found.get(id) ?? users.cached(id), opensThread));
    const next = handed
      .catch((error: unknown) => {
        if (!(error instanceof IntakeUnavailableError))
          logger.error({ err: error }, "could not hand a slack message over");
      })
      .finally(() => {
        if (this.#lines.get(key) === next) this.#lines.delete(key);
      });
    this.#lines.set(key, next);
    return handed;
  }

  /**
   * Classifies the event; a reply in a thread is looked up in the shared memory of active threads
   * only when it would be a follow-up there (one store read, never for mentions or DMs).
   */
  async #classify(body: unknown, event: unknown, botUserId: string | undefined): Promise<Classification> {
    const { config, logger, memory } = this.#options;
    let asked: string | null = null;
    const context = { botUserId, threadFollowups: config.threadFollowups };
    const first = classifyEvent(body, event, {
      ...context,
      isActiveThread: (key) => {
        asked = key;
        return false;
      },
    });
    if (first.take || asked === null) return first;
    const active = await memory.recall(activeThreadKey(asked)).catch((error: unknown) => {
      // Unknown: taking it would answer a conversation not meant for the bot, so it is skipped.
      logger.warn({ err: error }, "could not look up whether a thread is active; reply not taken");
      return null;
    });
    return active === null ? first : classifyEvent(body, event, { ...context, isActiveThread: () => true });
  }

  /**
   * Whether a mention starts the bot's session in the middle of a thread (one it is not answering
   * yet): that question is sent with the thread's earlier messages (context.ts). Asked before the
   * thread is remembered as active. An event's twin that finds it remembered already is not marked;
   * the first of the two is stored first, and the store keeps that one.
   */
  async #opensThread(message: IncomingMessage, key: string): Promise<boolean> {
    if (message.trigger !== "mention" || message.thread === message.ts) return false;
    const active = await this.#options.memory.recall(activeThreadKey(key)).catch(() => "unknown");
    return active === null;
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

  async #submit(
    message: IncomingMessage,
    botUserId: string | undefined,
    user: (id: string) => SlackUser | null | undefined,
    opensThread: boolean,
  ): Promise<void> {
    const { config, sink, logger } = this.#options;
    const text = readableText(message.text, { botUserId, userName: (id) => user(id)?.name ?? undefined });
    if (text === "") {
      this.#notice(message, `empty:${messageId(message)}`, EMPTY_QUESTION);
      return;
    }
    // Without an address (bots, guests, no users:read.email) the core falls back to the user id.
    const email = config.identity === "email" ? user(message.user)?.email : null;
    const identity = email ? `email:${email}` : orgIdentity(message);
    const chat: ChatMessage = {
      platform: "slack",
      workspace: message.team,
      channel: message.channel,
      thread: message.thread,
      user: message.user,
      text,
      id: messageId(message),
      ...(identity ? { identity } : {}),
      direct: message.trigger === "dm",
      ...(message.enterprise === null ? {} : { organization: message.enterprise }),
      // `context`: the reply port reads the thread's earlier messages for this question.
      address: { ...targetOf(message), ...(opensThread ? { context: true } : {}) },
    };
    const result = await sink.submit(chat);
    logger.debug({ id: chat.id, trigger: message.trigger, result }, "slack message handed to the core");
    if (result === "unavailable" && config.mode === "socket") {
      // Bolt acknowledged the event before it reached us, so Slack will not deliver it again: say so.
      this.#notice(message, `unavailable:${messageId(message)}`, notices.notTaken());
    }
    if (result === "unavailable" || result === "stopped") throw new IntakeUnavailableError(result);
  }

  /** Answers a message outside the allow-lists with one polite refusal (see src/refusals.ts); true when refused. */
  async #refused(message: IncomingMessage, key: string): Promise<boolean> {
    const { config, memory, logger } = this.#options;
    const refusal = refusalFor(config, message);
    if (refusal === null) return false;
    logger.info({ id: messageId(message), notice: "refused" }, "slack message not taken");
    const refused = { platform: "slack" as const, conversation: key, person: message.user };
    if (await shouldTellRefusal(memory, logger, refused)) {
      this.#post(message, `refused:${messageId(message)}`, refusal);
    }
    return true;
  }

  /** A notice for this message, once even when Slack delivers its twin or a retry. */
  #notice(message: IncomingMessage, noticeKey: string, text: string): void {
    if (!this.#noticed.add(noticeKey)) return;
    this.#options.logger.info(
      { id: messageId(message), notice: noticeKey.split(":")[0] },
      "slack message not taken",
    );
    this.#post(message, noticeKey, text);
  }

  #post(message: IncomingMessage, noticeKey: string, text: string): void {
    const { ports, logger } = this.#options;
    postNotice(ports, targetOf(message), text, noticeKey).catch((error: unknown) =>
      logger.error({ err: error }, "could not post a slack notice"),
    );
  }
}

/**
 * On an org-wide Enterprise Grid install a person keeps one user id across the organisation's
 * workspaces, so the identity names the organisation instead of the workspace the message came from
 * (`user_id:slack_<enterprise>_<user>`). Other installs keep the core's per-workspace identity.
 */
function orgIdentity(message: IncomingMessage): string | null {
  if (message.enterprise === null) return null;
  return identityFor({ platform: "slack", workspace: message.enterprise, user: message.user });
}

/** Where the replies to `message` go (also its reply address in the store). */
function targetOf(message: IncomingMessage): SlackTarget {
  const { team, channel, thread, ts, user } = message;
  return { team, dm: message.trigger === "dm", channel, thread, ts, user };
}
