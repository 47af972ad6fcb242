import {
  type APIMessage,
  DiscordAPIError,
  InteractionResponseType,
  MessageFlags,
  type REST,
  Routes,
} from "discord.js";

/**
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

/** Posts a follow-up message; `ephemeral`: only the user sees it. */
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
