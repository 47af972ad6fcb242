import type { APIMessage } from "discord.js";
import type { SharedMemory } from "../../src/adapter.js";
import { NEW_COMMAND } from "./events.js";

/**
 * Which conversation a DM channel is in. A DM channel is one conversation until the user sends `/new`;
 * from then on the conversation is named after that `/new` message's id. The pointer lives in the
 * shared memory (with Redis: across replicas and restarts) for `ttlMs` after the last message. When
 * it is not there (memory mode after a restart, or expired), it is derived from Discord's own history,
 * so the user is not silently sent back to the conversation they left: the first DM then looks back
 * over the channel's last `lookBack` messages for the latest `/new` (one REST call).
 *
 * Limitation: a forgotten `/new` further back than `lookBack` messages is not found; that channel then
 * continues its first conversation (the DM channel id). Messages of one channel must be handled one
 * at a time (the adapter serialises them), so no lookup races a `/new`.
 */
export class DmConversations {
  readonly #memory: SharedMemory;
  readonly #lookBack: number;
  readonly #ttlMs: number;
  readonly #history: (channelId: string, beforeId: string, limit: number) => Promise<APIMessage[]>;

  constructor(options: {
    memory: SharedMemory;
    /** Fetches up to `limit` messages before `beforeId`, newest first. */
    history: (channelId: string, beforeId: string, limit: number) => Promise<APIMessage[]>;
    /** How long a pointer is kept after the channel's last message. @default 30 days */
    ttlMs?: number;
    /** Messages looked at when the pointer is not known, at most 100 (one request). @default 100 */
    lookBack?: number;
  }) {
    this.#memory = options.memory;
    this.#history = options.history;
    this.#ttlMs = options.ttlMs ?? 30 * 24 * 3_600_000;
    this.#lookBack = Math.min(options.lookBack ?? 100, 100);
  }

  /** The conversation `messageId` belongs to; looks back in the channel's history when not known. */
  async conversationOf(channelId: string, messageId: string): Promise<string> {
    const known = await this.#memory.recall(pointerKey(channelId));
    const conversation = known ?? (await this.#lookUp(channelId, messageId));
    // Refreshed on every message, so an active conversation is never forgotten.
    await this.#memory.remember(pointerKey(channelId), conversation, this.#ttlMs);
    return conversation;
  }

  /** Starts a new conversation named after the `/new` message; returns its name. */
  async startNew(channelId: string, messageId: string): Promise<string> {
    await this.#memory.remember(pointerKey(channelId), messageId, this.#ttlMs);
    return messageId;
  }

  async #lookUp(channelId: string, messageId: string): Promise<string> {
    const history = await this.#history(channelId, messageId, this.#lookBack);
    return history.find((message) => isNewCommand(message))?.id ?? channelId;
  }
}

function pointerKey(channelId: string): string {
  return `discord:dm-conversation:${channelId}`;
}

/** A `/new` typed by a person (the bot's own confirmation does not count). */
function isNewCommand(message: APIMessage): boolean {
  return message.author.bot !== true && message.content.trim().toLowerCase() === NEW_COMMAND;
}
