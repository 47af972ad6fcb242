import {
  type APIMessage,
  type APIThreadChannel,
  ChannelType,
  DiscordAPIError,
  InteractionResponseType,
  MessageFlags,
  makeURLSearchParams,
  REST,
  type RESTPostAPIChannelMessageJSONBody,
  type RESTPostAPIChannelMessagesThreadsJSONBody,
  Routes,
  ThreadAutoArchiveDuration,
} from "discord.js";

/**
 * The Discord REST calls the adapter makes, as plain functions over discord.js's REST client (which
 * queues per route, honours rate limits and retries 429s and 5xx itself): the bot's own calls first,
 * then those of an interaction's token.
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

/** Reacts to a message as the bot with a Unicode `emoji`. */
export async function addReaction(
  rest: REST,
  channelId: string,
  messageId: string,
  emoji: string,
): Promise<void> {
  await rest.put(Routes.channelMessageOwnReaction(channelId, messageId, encodeURIComponent(emoji)));
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
  signal?: AbortSignal,
): Promise<APIMessage[]> {
  const query = makeURLSearchParams({ before: beforeId, limit });
  const messages = await rest.get(Routes.channelMessages(channelId), { query, signal });
  return Array.isArray(messages) ? (messages as APIMessage[]) : [];
}

/** One message of a channel (the one a reply refers to). */
export async function oneMessage(
  rest: REST,
  channelId: string,
  messageId: string,
  signal?: AbortSignal,
): Promise<APIMessage> {
  return (await rest.get(Routes.channelMessage(channelId, messageId), { signal })) as APIMessage;
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

/*
 * The interaction REST calls: the callback (within 3 s) and the webhook of the interaction's token
 * (15 minutes), as plain functions over discord.js's REST client. The token sits in these URLs, and
 * discord.js's errors carry the URL: every error leaving this module is an `InteractionCallError`,
 * which says what Discord answered and never the token.
 */

/** How long Discord accepts an interaction token for the webhook routes. */
export const TOKEN_LIFETIME_MS = 15 * 60_000;

/** A failed interaction call, free of the URL (and so of the token). */
export class InteractionCallError extends Error {
  override name = "InteractionCallError";
  constructor(
    /** The HTTP status; null when Discord was not reached. */
    readonly status: number | null,
    /** Discord's JSON error code, when it sent one. */
    readonly code: number | null,
    message: string,
  ) {
    super(message);
  }

  /** The token expired or the reply is gone: only an ordinary message can still answer. */
  get tokenGone(): boolean {
    return this.status === 401 || this.code === INVALID_WEBHOOK_TOKEN || this.code === UNKNOWN_WEBHOOK;
  }

  /**
   * Discord surely did not carry the call out: its edge answered 502/503 before any handler ran. A
   * 500, a 504 or no answer at all may follow a posted message.
   */
  get surelyNotDone(): boolean {
    return this.status === 502 || this.status === 503;
  }

  /** Another process acknowledged this interaction first (several replicas on one shard). */
  get alreadyAcknowledged(): boolean {
    return this.code === ALREADY_ACKNOWLEDGED;
  }
}

const UNKNOWN_WEBHOOK = 10015;
const INVALID_WEBHOOK_TOKEN = 50027;
const ALREADY_ACKNOWLEDGED = 40060;

/** What every interaction message may mention: nobody (an answer saying @everyone pings no one). */
const NO_MENTIONS = { parse: [] };

export interface InteractionRef {
  id: string;
  token: string;
}

/** Answers "<bot> is thinking…" (callback type 5): the answer then edits it. */
export async function deferReply(rest: REST, interaction: InteractionRef): Promise<void> {
  await guarded(interaction.token, () =>
    rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
      body: { type: InteractionResponseType.DeferredChannelMessageWithSource },
      auth: false,
    }),
  );
}

/** Answers at once with a message only the user sees (callback type 4, ephemeral). */
export async function replyEphemeral(
  rest: REST,
  interaction: InteractionRef,
  content: string,
): Promise<void> {
  await guarded(interaction.token, () =>
    rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
      body: {
        type: InteractionResponseType.ChannelMessageWithSource,
        data: { content, flags: MessageFlags.Ephemeral, allowed_mentions: NO_MENTIONS },
      },
      auth: false,
    }),
  );
}

/** The id of the reply (the message the deferred reply created). */
export async function originalMessageId(rest: REST, applicationId: string, token: string): Promise<string> {
  const message = (await guarded(token, () =>
    rest.get(Routes.webhookMessage(applicationId, token, "@original"), { auth: false }),
  )) as APIMessage;
  return message.id;
}

/** Replaces the reply's content. */
export async function editOriginal(
  rest: REST,
  applicationId: string,
  token: string,
  content: string,
): Promise<void> {
  await guarded(token, () =>
    rest.patch(Routes.webhookMessage(applicationId, token, "@original"), {
      body: { content, allowed_mentions: NO_MENTIONS },
      auth: false,
    }),
  );
}

/** Deletes the reply (before an ephemeral notice takes its place). */
export async function deleteOriginal(rest: REST, applicationId: string, token: string): Promise<void> {
  await guarded(token, () =>
    rest.delete(Routes.webhookMessage(applicationId, token, "@original"), { auth: false }),
  );
}

/**
 * Posts a follow-up message; `ephemeral`: only the user sees it. Follow-ups carry no nonce, so a
 * repeated one could appear twice: `rest` must be a client that never retries by itself
 * (`followUpRest`), and the caller decides what may be sent again.
 */
export async function followUp(
  rest: REST,
  applicationId: string,
  token: string,
  content: string,
  ephemeral = false,
): Promise<void> {
  await guarded(token, () =>
    rest.post(Routes.webhook(applicationId, token), {
      body: {
        content,
        allowed_mentions: NO_MENTIONS,
        ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
      },
      auth: false,
    }),
  );
}

/** The REST client for follow-ups: discord.js's own retries 5xx answers blindly, this one never. */
export function followUpRest(apiUrl: string): REST {
  return new REST({ api: apiUrl, retries: 0 });
}

/**
 * The REST client for thread-context reads: it rejects on a rate limit instead of waiting it out (the
 * question must not wait for its context; see `ContextReads`). Its own client, so the bot's posts keep
 * discord.js's waiting and retrying.
 */
export function contextRest(apiUrl: string, botToken: string): REST {
  return new REST({ api: apiUrl, rejectOnRateLimit: () => true }).setToken(botToken);
}

async function guarded<T>(token: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw callError(error, token);
  }
}

/** No `cause`: the original error holds the URL, and with it the token. */
function callError(error: unknown, token: string): InteractionCallError {
  const scrub = (text: string) => text.split(token).join("[redacted]");
  if (error instanceof DiscordAPIError) {
    return new InteractionCallError(
      error.status,
      typeof error.code === "number" ? error.code : null,
      scrub(error.message),
    );
  }
  const status = (error as { status?: unknown } | null)?.status;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : "unknown error";
  return new InteractionCallError(typeof status === "number" ? status : null, null, scrub(text));
}
