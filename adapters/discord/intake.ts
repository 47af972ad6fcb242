import type { Client, Message, REST } from "discord.js";
import type { MessageSink, SharedMemory } from "../../src/adapter.js";
import { BoundedMap } from "../../src/collections/bounded-map.js";
import { KeyedSerial } from "../../src/collections/keyed-serial.js";
import type { Logger } from "../../src/logger.js";
import { notices } from "../../src/notices.js";
import { shouldTellRefusal } from "../../src/refusals.js";
import type { ChatMessage } from "../../src/types.js";
import type { Access } from "./access.js";
import { REFUSAL } from "./access.js";
import { threadInfo } from "./api.js";
import type { ContextMark } from "./context.js";
import { classify, type MessageView, NOT_OUR_THREAD, type Trigger, viewOf } from "./events.js";
import { type PortTarget, postNote } from "./port.js";
import type { DmConversations } from "./sessions.js";

export const NEW_CONVERSATION =
  "New conversation started: I won't remember what we said before this message.";
/**
 * How long a thread the bot was mentioned in counts as one it has a session in (its earlier messages
 * are then not read again): a day after the last mention there.
 */
const SEEN_THREAD_TTL_MS = 24 * 3_600_000;

export const NEW_IN_THREAD =
  "Each thread is one conversation. To start a new one, mention me in a channel with your question.";

/** A Discord question as the core takes it, from a message or a slash command. */
export function discordMessage(
  where: Pick<ChatMessage, "workspace" | "channel" | "thread">,
  what: Pick<ChatMessage, "user" | "text" | "id" | "address">,
): ChatMessage {
  // One customer per Discord user, the same in DMs and on every server.
  const direct = where.workspace === "dm";
  return { platform: "discord", ...where, ...what, identity: `user_id:discord_${what.user}`, direct };
}

/** What the message intake and the slash-command intake both need. */
export interface DiscordIntakeDeps {
  rest: REST;
  sink: MessageSink;
  logger: Logger;
  access: Access;
  /** The same for typed messages and commands: `/new` and a typed `/new` reset the same thing. */
  conversations: DmConversations;
  /** Who was told a refusal where (see src/refusals.ts). */
  memory: SharedMemory;
  /** False once the adapter stopped taking messages (or before it is ready). */
  taking: () => boolean;
}

export interface IntakeOptions extends DiscordIntakeDeps {
  client: Client;
}

/**
 * Turns Discord messages into core submissions: decides whether a message is a question, applies the
 * allow-lists, finds its conversation (DM, thread) and hands it to the core with a port for the reply.
 * Messages of one channel are handled in arrival order.
 */
export class Intake {
  readonly #options: IntakeOptions;
  readonly #serial = new KeyedSerial();
  /** Threads whose owner discord.js did not know, as Discord told us. */
  readonly #threads = new BoundedMap<string, Awaited<ReturnType<typeof threadInfo>>>(10_000);

  constructor(options: IntakeOptions) {
    this.#options = options;
  }

  /** The `messageCreate` listener: never throws, whatever the message looks like. */
  onMessage(message: Message): void {
    const { client, logger, taking } = this.#options;
    const botId = client.user?.id;
    if (!taking() || botId === undefined) return;
    let view: MessageView;
    try {
      view = viewOf(message, botId);
    } catch (error) {
      logger.warn({ err: error, messageId: message.id }, "discord: skipped a message it could not read");
      return;
    }
    // Cheap rejections first, so other people's chatter is not queued behind anything.
    const trigger = classify(view, botId);
    if (trigger.kind === "ignore" && !(trigger.reason === NOT_OUR_THREAD && view.threadOwnerId === null)) {
      logger.trace({ messageId: view.id, reason: trigger.reason }, "discord: message ignored");
      return;
    }
    this.#serial
      .run(view.channelId, () => this.#handle(view, botId))
      .catch((error: unknown) => {
        logger.error(
          { err: error, messageId: view.id, channelId: view.channelId },
          "discord: message failed",
        );
      });
  }

  /** Resolves once every message taken so far has been handed to the core (or dropped). */
  idle(): Promise<void> {
    return this.#serial.idle();
  }

  async #handle(initial: MessageView, botId: string): Promise<void> {
    const { access, logger, memory } = this.#options;
    const view = await this.#withThreadOwner(initial);
    const trigger = classify(view, botId);
    if (trigger.kind === "ignore") {
      logger.trace({ messageId: view.id, reason: trigger.reason }, "discord: message ignored");
      return;
    }
    const allowed = await access.allows(view.authorId, view.guildId).catch((error: unknown) => {
      logger.warn({ err: error, userId: view.authorId }, "discord: allow-list lookup failed; refusing");
      return false;
    });
    if (!allowed) {
      logger.info({ userId: view.authorId, guildId: view.guildId }, "discord: refused by the allow-lists");
      const refused = { platform: "discord" as const, conversation: view.channelId, person: view.authorId };
      if (await shouldTellRefusal(memory, logger, refused)) await this.#note(view, REFUSAL, "refusal");
      return;
    }
    await this.#dispatch(view, trigger);
  }

  async #dispatch(view: MessageView, trigger: Exclude<Trigger, { kind: "ignore" }>): Promise<void> {
    const { conversations, logger } = this.#options;
    const here: PortTarget = { channelId: view.channelId, replyTo: view.id, questionId: view.id };
    switch (trigger.kind) {
      case "dm_new":
        await conversations.startNew(view.channelId, view.id);
        await this.#note(view, NEW_CONVERSATION, "new");
        return;
      case "thread_new":
        await this.#note(view, NEW_IN_THREAD, "new");
        return;
      case "dm": {
        const conversation = await conversations.conversationOf(view.channelId, view.id).catch((error) => {
          // Not remembered, so the next message looks again; this one goes on in the channel's first one.
          logger.warn({ err: error, channelId: view.channelId }, "discord: could not read the DM history");
          return view.channelId;
        });
        await this.#submit(
          view,
          trigger.text,
          { workspace: "dm", channel: view.channelId, thread: conversation },
          here,
        );
        return;
      }
      case "mention": {
        const guild = view.guildId ?? "unknown";
        // A reply to another message: the assistant gets that message with the question.
        const mark: ContextMark | null = view.repliesTo && {
          context: "reply",
          contextChannel: view.repliesTo.channelId,
          contextMessage: view.repliesTo.messageId,
        };
        // The port starts the thread when the work on the question begins (port.ts), so a question
        // refused or taken by another replica leaves none. It will have the question's id: the session
        // is the same whether it can be started or not.
        await this.#submit(
          view,
          trigger.text,
          { workspace: guild, channel: view.channelId, thread: view.id },
          { ...here, threadName: trigger.threadName },
          mark,
        );
        return;
      }
      case "thread": {
        // A mention in someone else's thread the bot was not asked in before: it gets the thread's
        // recent messages with the question.
        const mark: ContextMark | null = (await this.#firstMentionIn(view))
          ? { context: "thread", contextChannel: view.channelId, contextMessage: view.id }
          : null;
        await this.#submit(
          view,
          trigger.text,
          {
            workspace: view.guildId ?? "unknown",
            channel: view.parentId ?? view.channelId,
            thread: view.channelId,
          },
          here,
          mark,
        );
        return;
      }
    }
  }

  async #submit(
    view: MessageView,
    text: string,
    where: Pick<ChatMessage, "workspace" | "channel" | "thread">,
    target: PortTarget,
    mark: ContextMark | null = null,
  ): Promise<void> {
    const { sink, logger } = this.#options;
    const address = { ...target, ...mark };
    const message = discordMessage(where, { user: view.authorId, text, id: view.id, address });
    // Every replica on the gateway sees this message: the store's dedupe lets exactly one take it.
    const result = await sink.submit(message);
    logger.debug({ messageId: view.id, result }, "discord: message submitted");
    // Discord never delivers again: say so rather than leave the question unanswered.
    if (result === "unavailable") await this.#note(view, notices.notTaken(), "unavailable");
  }

  /**
   * Whether this is the first mention in a thread the bot does not own (one whose session starts
   * here), as the shared memory remembers; refreshed on every mention. Unknown (the store did not
   * answer): not marked, the question goes alone.
   */
  async #firstMentionIn(view: MessageView): Promise<boolean> {
    const { client, memory, logger } = this.#options;
    if (view.threadOwnerId === client.user?.id) return false;
    const key = `discord:mentioned-thread:${view.channelId}`;
    const seen = await memory.recall(key).catch(() => "unknown");
    await memory.remember(key, "1", SEEN_THREAD_TTL_MS).catch((error: unknown) => {
      logger.warn({ err: error }, "discord: could not remember a thread the bot was mentioned in");
    });
    return seen === null;
  }

  async #note(view: MessageView, text: string, purpose: string): Promise<void> {
    const target = { channelId: view.channelId, replyTo: view.id, questionId: view.id };
    await postNote(this.#options.rest, target, text, `${view.id}:${purpose}`);
  }

  /**
   * A thread discord.js has not seen created (one from before a restart, or unarchived) comes without
   * its owner: ask Discord once per thread and remember the answer.
   */
  async #withThreadOwner(view: MessageView): Promise<MessageView> {
    if (view.channel !== "thread" || view.threadOwnerId !== null) return view;
    let info = this.#threads.get(view.channelId);
    if (info === undefined) {
      info = await threadInfo(this.#options.rest, view.channelId);
      this.#threads.set(view.channelId, info);
    }
    if (!info) return view;
    return { ...view, threadOwnerId: info.ownerId, parentId: info.parentId ?? view.parentId };
  }
}
