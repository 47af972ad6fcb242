import { ChannelType, type ChatInputCommandInteraction, type Interaction } from "discord.js";
import { notices } from "../../src/notices.js";
import type { ChatMessage } from "../../src/types.js";
import { REFUSAL } from "./access.js";
import {
  deferReply,
  deleteOriginal,
  followUp,
  InteractionCallError,
  originalMessageId,
  replyEphemeral,
} from "./api.js";
import { threadNameFor } from "./events.js";
import { type DiscordIntakeDeps, discordMessage, NEW_CONVERSATION, NEW_IN_THREAD } from "./intake.js";
import type { InteractionAddress } from "./port.js";
import { ASK, NEW, QUESTION } from "./surface.js";

export const NEW_IN_CHANNEL =
  "Every question here starts a thread of its own, a new conversation each time: just ask with /ask.";
export const NOT_HERE = "I can answer /ask in server text channels, their threads and DMs.";
export const EMPTY = "Please write your question after /ask.";
export const UNKNOWN = "I don't know that command.";

/** What a slash command is, free of discord.js objects (unit-testable). */
export interface CommandView {
  id: string;
  token: string;
  applicationId: string;
  /** When Discord created it (ms since the epoch). */
  createdAt: number;
  name: string;
  /** `/ask`'s question, trimmed; "" for other commands. */
  question: string;
  userId: string;
  guildId: string | null;
  channelId: string;
  channel: "dm" | "text" | "thread" | "other";
  /** A thread's parent channel. */
  parentId: string | null;
}

export type Command =
  | { kind: "ask"; text: string }
  | { kind: "new" }
  | { kind: "notice"; text: string; why: string };

/** What a command asks for, where it was used. */
export function classifyCommand(view: CommandView): Command {
  if (view.name === NEW) return { kind: "new" };
  if (view.name !== ASK) return { kind: "notice", text: UNKNOWN, why: "unknown command" };
  if (view.channel === "other") return { kind: "notice", text: NOT_HERE, why: "unsupported channel" };
  if (view.question === "") return { kind: "notice", text: EMPTY, why: "no question" };
  return { kind: "ask", text: view.question };
}

export type CommandIntakeOptions = DiscordIntakeDeps;

/**
 * Slash commands from the `interactionCreate` event. Only chat-input commands are handled here: other
 * interactions (the feedback buttons) have listeners of their own. `/ask` is deferred first, so Discord
 * hears back within its 3 seconds whatever the allow-lists or the DM history take.
 */
export class CommandIntake {
  readonly #options: CommandIntakeOptions;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: CommandIntakeOptions) {
    this.#options = options;
  }

  /** The `interactionCreate` listener: never throws. */
  onInteraction(interaction: Interaction): void {
    if (!interaction.isChatInputCommand()) return;
    const { logger } = this.#options;
    let view: CommandView;
    try {
      view = commandViewOf(interaction);
    } catch (error) {
      logger.warn(
        { err: error, interactionId: interaction.id },
        "discord: skipped a command it could not read",
      );
      return;
    }
    const work = this.#handle(view)
      .catch((error: unknown) => {
        const quiet = error instanceof InteractionCallError && error.alreadyAcknowledged;
        // Acknowledged by another process on the same shard: that one answers it.
        if (quiet) logger.debug({ interactionId: view.id }, "discord: command taken by another process");
        else logger.error({ err: error, interactionId: view.id }, "discord: command failed");
      })
      .finally(() => this.#inFlight.delete(work));
    this.#inFlight.add(work);
  }

  /** Resolves once every command taken so far has been handed to the core (or answered). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  async #handle(view: CommandView): Promise<void> {
    const { rest, logger, taking } = this.#options;
    // As with messages: during a rolling restart the other process answers (Discord takes one answer).
    if (!taking())
      return logger.debug({ interactionId: view.id }, "discord: command left to another process");
    const command = classifyCommand(view);
    logger.debug(
      { interactionId: view.id, command: view.name, kind: command.kind },
      "discord: command received",
    );
    switch (command.kind) {
      case "notice":
        return replyEphemeral(rest, view, command.text);
      case "new":
        // Answered in one step, without a deferral: the allow-lists answer from memory but for a DM
        // with a server list, whose membership lookup (one REST call, then cached) fits in 3 s.
        return replyEphemeral(rest, view, (await this.#allowed(view)) ? await this.#startNew(view) : REFUSAL);
      case "ask":
        await deferReply(rest, view);
        return this.#ask(view, command.text);
    }
  }

  /** `/new`: a DM starts a fresh conversation; elsewhere there is nothing to reset, and it says why. */
  async #startNew(view: CommandView): Promise<string> {
    if (view.channel === "dm") {
      await this.#options.conversations.startNew(view.channelId, view.id);
      return NEW_CONVERSATION;
    }
    return view.channel === "thread" ? NEW_IN_THREAD : NEW_IN_CHANNEL;
  }

  async #ask(view: CommandView, text: string): Promise<void> {
    const { rest, sink, logger, conversations } = this.#options;
    if (!(await this.#allowed(view))) return this.#replaceWithNotice(view, REFUSAL);
    const replyId = await originalMessageId(rest, view.applicationId, view.token).catch((error: unknown) => {
      logger.warn({ err: error }, "discord: could not read the deferred reply; answering without a thread");
      return null;
    });
    let where: Pick<ChatMessage, "workspace" | "channel" | "thread">;
    switch (view.channel) {
      case "dm": {
        const conversation = await conversations
          .conversationOf(view.channelId, view.id)
          .catch((error: unknown) => {
            logger.warn({ err: error, channelId: view.channelId }, "discord: could not read the DM history");
            return view.channelId;
          });
        where = { workspace: "dm", channel: view.channelId, thread: conversation };
        break;
      }
      case "thread":
        where = {
          workspace: view.guildId ?? "unknown",
          channel: view.parentId ?? view.channelId,
          thread: view.channelId,
        };
        break;
      default:
        // The thread started on the reply has the reply's id, as a mention's thread has the mention's.
        where = { workspace: view.guildId ?? "unknown", channel: view.channelId, thread: replyId ?? view.id };
    }
    const address: InteractionAddress = {
      kind: "interaction",
      applicationId: view.applicationId,
      token: view.token,
      issuedAt: view.createdAt,
      channelId: view.channelId,
      replyId,
      threadName: view.channel === "text" && replyId !== null ? threadNameFor(text) : null,
      questionId: view.id,
    };
    const message = discordMessage(where, { user: view.userId, text, id: view.id, address: { ...address } });
    const result = await sink.submit(message);
    logger.debug({ interactionId: view.id, result }, "discord: command submitted");
    if (result === "stopped") await this.#replaceWithNotice(view, notices.restarting());
    if (result === "unavailable") await this.#replaceWithNotice(view, notices.notTaken());
  }

  async #allowed(view: CommandView): Promise<boolean> {
    const { access, logger } = this.#options;
    const allowed = await access.allows(view.userId, view.guildId).catch((error: unknown) => {
      logger.warn({ err: error, userId: view.userId }, "discord: allow-list lookup failed; refusing");
      return false;
    });
    if (!allowed)
      logger.info(
        { userId: view.userId, guildId: view.guildId },
        "discord: command refused by the allow-lists",
      );
    return allowed;
  }

  /** After a deferral: the reply goes, a notice only the asker sees takes its place. */
  async #replaceWithNotice(view: CommandView, text: string): Promise<void> {
    const { rest, logger } = this.#options;
    await deleteOriginal(rest, view.applicationId, view.token).catch((error: unknown) => {
      logger.debug({ err: error }, "discord: could not delete the deferred reply");
    });
    await followUp(rest, view.applicationId, view.token, text, true);
  }
}

/** Reads a discord.js chat-input interaction into a view. */
function commandViewOf(interaction: ChatInputCommandInteraction): CommandView {
  const channel = interaction.channel;
  let kind: CommandView["channel"] = "other";
  // Discord sends the DM channel with the interaction; without it, no guild means the bot's DM.
  if (channel?.type === ChannelType.DM || (channel === null && interaction.guildId === null)) kind = "dm";
  else if (channel?.type === ChannelType.GuildText || channel?.type === ChannelType.GuildAnnouncement)
    kind = "text";
  else if (channel?.isThread()) kind = "thread";
  return {
    id: interaction.id,
    token: interaction.token,
    applicationId: interaction.applicationId,
    createdAt: interaction.createdTimestamp,
    name: interaction.commandName,
    question: interaction.commandName === ASK ? (interaction.options.getString(QUESTION) ?? "").trim() : "",
    userId: interaction.user.id,
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    channel: kind,
    parentId: channel?.isThread() ? channel.parentId : null,
  };
}
