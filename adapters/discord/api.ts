import {
  type APIMessage,
  type APIThreadChannel,
  ChannelType,
  DiscordAPIError,
  makeURLSearchParams,
  type REST,
  type RESTPostAPIChannelMessageJSONBody,
  type RESTPostAPIChannelMessagesThreadsJSONBody,
  Routes,
  ThreadAutoArchiveDuration,
} from "discord.js";

/**
 * The few Discord REST calls the adapter makes, as plain functions over discord.js's REST client
 * (which queues per route, honours rate limits and retries 429s and 5xx itself).
 */

/** Discord's error for "a thread has already been created for this message". */
const THREAD_ALREADY_EXISTS = 160004;
/** Discord's error for "unknown member". */
const UNKNOWN_MEMBER = 10007;

/** Posts one message; its body (see `messageBody`) makes it idempotent and mention-free. */
export async function postMessage(
  rest: REST,
  channelId: string,
  body: RESTPostAPIChannelMessageJSONBody,
): Promise<void> {
  await rest.post(Routes.channelMessages(channelId), { body });
}

/** Shows "<bot> is typing…" in the channel for about 10 seconds, or until the bot posts. */
export async function sendTyping(rest: REST, channelId: string): Promise<void> {
  await rest.post(Routes.channelTyping(channelId));
}

/**
 * Starts a public thread on a message and returns its id. A thread started from a message has the
 * message's id, so a redelivered message whose thread already exists gets that same thread.
 */
export async function startThread(
  rest: REST,
  channelId: string,
  messageId: string,
  name: string,
): Promise<string> {
  const body: RESTPostAPIChannelMessagesThreadsJSONBody = {
    name,
    auto_archive_duration: ThreadAutoArchiveDuration.OneDay,
  };
  try {
    await rest.post(Routes.threads(channelId, messageId), { body });
  } catch (error) {
    if (!(error instanceof DiscordAPIError && error.code === THREAD_ALREADY_EXISTS)) throw error;
  }
  return messageId;
}

/**
 * Who started a thread and in which channel, straight from Discord: for threads discord.js only knows
 * as partials (it never learns their owner from a fetch). Null when the channel is not a thread.
 */
export async function threadInfo(
  rest: REST,
  channelId: string,
): Promise<{ ownerId: string | null; parentId: string | null } | null> {
  const channel = (await rest.get(Routes.channel(channelId))) as Partial<APIThreadChannel> | null;
  if (!channel || !THREAD_TYPES.has(channel.type ?? -1)) return null;
  return { ownerId: channel.owner_id ?? null, parentId: channel.parent_id ?? null };
}

const THREAD_TYPES = new Set<number>([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);

/** Up to `limit` (at most 100) messages of a channel before `beforeId`, newest first. */
export async function recentMessages(
  rest: REST,
  channelId: string,
  beforeId: string,
  limit: number,
): Promise<APIMessage[]> {
  const query = makeURLSearchParams({ before: beforeId, limit });
  const messages = await rest.get(Routes.channelMessages(channelId), { query });
  return Array.isArray(messages) ? (messages as APIMessage[]) : [];
}

/**
 * Whether `userId` is a member of the guild (Get Guild Member needs no privileged intent). A guild the
 * bot is not in (403/404) has no members it can see.
 */
export async function isGuildMember(rest: REST, guildId: string, userId: string): Promise<boolean> {
  try {
    await rest.get(Routes.guildMember(guildId, userId));
    return true;
  } catch (error) {
    if (
      error instanceof DiscordAPIError &&
      (error.code === UNKNOWN_MEMBER || error.status === 403 || error.status === 404)
    )
      return false;
    throw error;
  }
}
