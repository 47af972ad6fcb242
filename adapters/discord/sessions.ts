import type { APIMessage } from "discord.js";
import { BoundedMap } from "../../src/collections/bounded-map.js";
import { NEW_COMMAND } from "./events.js";

/**
 * Which conversation a DM channel is in. A DM channel is one conversation until the user sends `/new`;
 * from then on the conversation is named after that `/new` message's id. The name is derived from
 * Discord's own history, not only from memory, so a restart does not silently send the user back to
 * the conversation they left: the first DM after a restart looks back over the channel's last
 * `lookBack` messages for the latest `/new` (one REST call per DM channel per process).
 *
 * Limitation: a `/new` further back than `lookBack` messages at restart is not found; that channel then
 * continues its first conversation (the DM channel id). Messages of one channel must be handled one
 * at a time (the adapter serialises them), so no lookup races a `/new`.
 */
export class DmConversations {
  readonly #current: BoundedMap<string, string>;
  readonly #lookBack: number;
  readonly #history: (channelId: string, beforeId: string, limit: number) => Promise<APIMessage[]>;

  constructor(options: {
    /** Fetches up to `limit` messages before `beforeId`, newest first. */
    history: (channelId: string, beforeId: string, limit: number) => Promise<APIMessage[]>;
    /** DM channels remembered; a forgotten one is looked up again. @default 10000 */
    maxChannels?: number;
    /** Messages looked at after a restart, at most 100 (one request). @default 100 */
    lookBack?: number;
  }) {
    this.#history = options.history;
    this.#current = new BoundedMap(options.maxChannels ?? 10_000);
    this.#lookBack = Math.min(options.lookBack ?? 100, 100);
  }

  /** The conversation `messageId` belongs to; looks back in the channel's history the first time. */
  async conversationOf(channelId: string, messageId: string): Promise<string> {
    const known = this.#current.get(channelId);
    if (known !== undefined) return known;
    const history = await this.#history(channelId, messageId, this.#lookBack);
    const latestNew = history.find((message) => isNewCommand(message));
    const conversation = latestNew?.id ?? channelId;
    this.#current.set(channelId, conversation);
    return conversation;
  }

  /** Starts a new conversation named after the `/new` message; returns its name. */
  startNew(channelId: string, messageId: string): string {
    this.#current.set(channelId, messageId);
    return messageId;
  }
}

/** A `/new` typed by a person (the bot's own confirmation does not count). */
function isNewCommand(message: APIMessage): boolean {
  return message.author.bot !== true && message.content.trim().toLowerCase() === NEW_COMMAND;
}
