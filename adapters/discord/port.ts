import type { REST } from "discord.js";
import type { FeedbackPort, PostContext, ThreadPort } from "../../src/adapter.js";
import type { Logger } from "../../src/logger.js";
import { sleep } from "../../src/pipeline/sleep.js";
import type { Reply, ReplyAddress, ReplyKind } from "../../src/types.js";
import {
  addReaction,
  deleteOriginal,
  editOriginal,
  followUp,
  InteractionCallError,
  postMessage,
  sendTyping,
  startThread,
  TOKEN_LIFETIME_MS,
} from "./api.js";
import { type ContextMark, type ContextReads, contextMarkOf } from "./context.js";
import { FEEDBACK_TOKEN_CHARS, feedbackRow, messageBody, nonceFor, renderReply } from "./render.js";

/** The longest an answer waits for a typing request still on its way. */
const TYPING_WAIT_MS = 1000;

export interface PortTarget {
  /** The channel the question is in (a DM, a text channel, a thread): replies go here unless in a thread started on it. */
  channelId: string;
  /** The question, shown as what the first message answers when it is posted in `channelId`. */
  replyTo: string | null;
  /**
   * The question's message id. Nonces derive from it, not from a per-process request id, so that
   * when a rolling restart briefly runs two processes that both answer it, Discord keeps one post.
   */
  questionId: string;
  /**
   * A server mention: the name of the thread the conversation goes on in, started on the question by
   * the port when the work on it begins, not at intake (see `channelPort`). Absent: no thread.
   */
  threadName?: string;
}

/** The target a Discord message was stored with, checked: a malformed one is a bug, not a reply. */
function portTarget(address: ReplyAddress): PortTarget {
  const { channelId, replyTo, questionId, threadName } = address;
  if (
    typeof channelId !== "string" ||
    typeof questionId !== "string" ||
    !(replyTo === null || typeof replyTo === "string") ||
    !(threadName === undefined || typeof threadName === "string")
  ) {
    throw new Error("not a Discord reply address");
  }
  return { channelId, replyTo, questionId, ...(threadName === undefined ? {} : { threadName }) };
}

export interface PortOptions {
  rest: REST;
  logger: Logger;
  /** Typing lasts about 10 s on Discord, so it is sent again this often while waiting. */
  typingIntervalMs: number;
  /** Typing loops still running; the adapter stops them all on close. */
  typingLoops: Set<NodeJS.Timeout>;
  /** Packs the 👍/👎 payload of answers; null when FEEDBACK=off. */
  feedback: FeedbackPort | null;
  /** Reads the conversation a marked question was asked in (one per process: it remembers rate limits). */
  contextReads: ContextReads;
  /** Sends interaction follow-ups, never retrying by itself (see `followUpRest`). */
  followUps: REST;
  /** @default Date.now */
  now?: () => number;
}

/**
 * What a question over quota gets once its channel was told (Discord has no message only one person
 * sees outside interactions): a reaction, so a busy channel is not filled with refusals.
 */
export const QUIET_SIGN = "⏳";

/** The port for a stored reply address: a slash command's reply goes through its interaction, a message's to its channel. */
export function threadPort(address: ReplyAddress, options: PortOptions): ThreadPort {
  if (address.kind === "interaction") return interactionPort(interactionAddress(address), options);
  return channelPort(portTarget(address), options, contextMarkOf(address));
}

/**
 * Refusals of a question nobody began to answer (busy, too long, over quota): only the asker needs
 * them. A slash command's are ephemeral; a mention's stay under the question and start no thread, as
 * no conversation began.
 */
const REFUSALS: ReadonlySet<ReplyKind> = new Set(["busy", "too_long", "over_quota"]);

/** Where a reply goes: a channel, and the message its first part answers there. */
interface Place {
  channelId: string;
  replyTo: string | null;
}

/**
 * The core's handle on one Discord conversation: posts replies and keeps "typing…" up while waiting.
 * A server mention's thread is started here, when the work on the question begins (or by its first
 * reply that belongs in it, after a restart), never at intake: a question refused, or taken by another
 * replica, leaves no empty thread. Starting it again is harmless (Discord answers 160004 and the
 * thread has the question's id), so any process may do it; if it cannot be started, the replies go
 * under the question.
 */
export function channelPort(
  target: PortTarget,
  options: PortOptions,
  mark: ContextMark | null = null,
): ThreadPort {
  const { rest, logger, typingIntervalMs, typingLoops } = options;
  const inPlace: Place = { channelId: target.channelId, replyTo: target.replyTo };
  /** The thread started on the question, once asked for; shared by typing and replies. */
  let thread: Promise<Place> | null = null;
  let loop: NodeJS.Timeout | undefined;
  /** The typing request on its way, if any (never rejects); awaited so it cannot land after the answer. */
  let typing: Promise<void> | null = null;

  /** Where the conversation goes on: the question's thread (started now if need be), or in place. */
  const conversation = (): Promise<Place> => {
    const name = target.threadName;
    if (name === undefined) return Promise.resolve(inPlace);
    thread ??= startThread(rest, target.channelId, target.questionId, name).then(
      (threadId) => ({ channelId: threadId, replyTo: null }),
      (error: unknown) => {
        // Without a thread (no permission, archived channel…) the question is still answered, in place.
        logger.warn({ err: error, channelId: target.channelId }, "discord: could not start a thread");
        return inPlace;
      },
    );
    return thread;
  };

  const stopTyping = async () => {
    if (loop) {
      clearInterval(loop);
      typingLoops.delete(loop);
      loop = undefined;
    }
    if (!typing) return;
    // Bounded: a typing request stuck behind a rate limit must not hold the answer back.
    const timeout = new AbortController();
    await Promise.race([typing, sleep(TYPING_WAIT_MS, timeout.signal)]);
    timeout.abort();
  };

  /** The feedback row for an answer's last message; none when off, or when the store cannot keep its payload. */
  const feedbackRowFor = async (reply: Reply) => {
    const recorder = options.feedback;
    if (!reply.feedback || !recorder) return null;
    try {
      return feedbackRow(await recorder.pack(reply.feedback, FEEDBACK_TOKEN_CHARS));
    } catch (error) {
      // The answer matters more than its buttons.
      logger.warn({ err: error }, "discord: answer posted without feedback buttons");
      return null;
    }
  };

  return {
    /** Posts the reply's messages in order; the first answers the question. Throws if one fails. */
    async post(reply: Reply, context?: PostContext) {
      // On the question itself, in the channel it was asked in: a quiet sign opens nothing.
      if (reply.quiet) return addReaction(rest, target.channelId, target.questionId, QUIET_SIGN);
      // A typing request that lands after the answer would show "typing…" again for 10 s: stop first.
      await stopTyping();
      // A refusal at intake (never recorded, so never recovered) finds no work begun: it stays in place.
      // One of a question already worked on (the model found it too long) goes where the work showed.
      const fresh = thread === null && context?.recovered !== true;
      const place = REFUSALS.has(reply.kind) && fresh ? inPlace : await conversation();
      const parts = renderReply(reply);
      const buttons = await feedbackRowFor(reply);
      for (const [index, content] of parts.entries()) {
        const body = messageBody(content, {
          nonce: nonceFor(target.questionId, index),
          replyTo: index === 0 ? place.replyTo : null,
          ...(buttons && index === parts.length - 1 ? { components: [buttons] } : {}),
        });
        await postMessage(rest, place.channelId, body);
      }
    },
    /** Discord has no revocation the bot learns of before a post fails: always worth trying. */
    canReply: () => true,
    /** Marked by the intake: a reply to another message, or a mention in a thread new to the bot. */
    async readContext(maxMessages, signal) {
      return mark ? options.contextReads.read(mark, maxMessages, signal) : [];
    },
    /**
     * Starts the question's thread, if it gets one, and types there: people see at once where the
     * answer will come. (Typing in the channel instead would stay up there for up to 10 s after the
     * answer appeared in the thread: Discord clears it only on a message in the same channel.)
     */
    startWorking() {
      const where = conversation();
      const type = () => {
        const request: Promise<void> = where
          .then(({ channelId }) => sendTyping(rest, channelId))
          .catch((error: unknown) => {
            // Typing is a nicety: a failure is not worth more than a debug line.
            logger.debug({ err: error }, "discord: could not send the typing indicator");
          })
          .then(() => {
            if (typing === request) typing = null;
          });
        typing = request;
      };
      type();
      loop = setInterval(type, typingIntervalMs);
      loop.unref();
      typingLoops.add(loop);
      return stopTyping;
    },
  };
}

/** Posts one short message of the adapter's own (a refusal, a `/new` confirmation), idempotent per `key`. */
export async function postNote(rest: REST, target: PortTarget, text: string, key: string): Promise<void> {
  await postMessage(
    rest,
    target.channelId,
    messageBody(text, { nonce: nonceFor(key, 0), replyTo: target.replyTo }),
  );
}

/**
 * Where the replies to a slash command go: all any process needs to answer it, as plain JSON. The
 * token is a credential for 15 minutes: it may be stored with the queued message, never logged.
 */
export interface InteractionAddress {
  kind: "interaction";
  applicationId: string;
  token: string;
  /** When Discord created the interaction (ms since the epoch): the token lives 15 minutes from then. */
  issuedAt: number;
  /** Where the command was used: a DM channel, a server text channel or a thread. */
  channelId: string;
  /** The reply the deferral created; null when Discord did not tell. */
  replyId: string | null;
  /** In a server text channel: the name of the thread started on the reply, where the talk goes on. */
  threadName: string | null;
  /** The interaction's id: nonces derive from it, so a second process answering it cannot post twice. */
  questionId: string;
}

/** The interaction address a command was stored with, checked: a malformed one is a bug, not a reply. */
function interactionAddress(address: ReplyAddress): InteractionAddress {
  const { applicationId, token, issuedAt, channelId, replyId, threadName, questionId } = address;
  const text = (value: unknown): value is string => typeof value === "string";
  const textOrNull = (value: unknown): value is string | null => value === null || typeof value === "string";
  if (
    !text(applicationId) ||
    !text(token) ||
    typeof issuedAt !== "number" ||
    !text(channelId) ||
    !textOrNull(replyId) ||
    !textOrNull(threadName) ||
    !text(questionId)
  ) {
    throw new Error("not a Discord interaction address");
  }
  return { kind: "interaction", applicationId, token, issuedAt, channelId, replyId, threadName, questionId };
}

/** Follow-ups Discord surely did not post (502/503) are sent again this often, after this back-off. */
const FOLLOW_UP_RETRIES = 3;
const FOLLOW_UP_BACKOFF_MS = 500;
/** The last stretch of the token's life is not used: a long answer must not be cut off midway. */
const SAFETY_MS = 60_000;

/**
 * The core's handle on a slash command, rebuilt from its address alone. The answer edits the
 * deferred reply and continues in follow-ups; in a server text channel a thread is then started on
 * the reply. Busy, too-long and over-quota notices replace the reply with a message only the asker sees. Once
 * the token has expired, the answer is posted as an ordinary message in the thread or channel.
 */
function interactionPort(address: InteractionAddress, options: PortOptions): ThreadPort {
  const { rest, logger } = options;
  const now = options.now ?? Date.now;
  const { applicationId, token } = address;
  const live = () => now() < address.issuedAt + TOKEN_LIFETIME_MS - SAFETY_MS;
  const log = logger.child({ interactionId: address.questionId });

  const thread = async (): Promise<string | null> => {
    if (address.threadName === null || address.replyId === null) return null;
    return startThread(rest, address.channelId, address.replyId, address.threadName).catch(
      (error: unknown) => {
        // The answer is there all the same; follow-ups then need a mention or another /ask.
        log.warn(
          { err: error, channelId: address.channelId },
          "discord: could not start a thread on the reply",
        );
        return null;
      },
    );
  };

  /** After the token: the parts from `first` on, as the bot's own messages. */
  const ordinary = async (parts: readonly string[], first: number) => {
    const threadId = await thread();
    const channelId = threadId ?? address.channelId;
    for (let index = first; index < parts.length; index++) {
      const content = parts[index] ?? "";
      const replyTo = index === first && threadId === null ? address.replyId : null;
      await postMessage(
        rest,
        channelId,
        messageBody(content, { nonce: nonceFor(address.questionId, index), replyTo }),
      );
    }
  };

  /**
   * One follow-up, safe to retry: sent again only when Discord surely did not post it (502/503).
   * After an answer that may follow a posted message (500, 504, no answer) it is not repeated
   * (Discord has no nonce for follow-ups): the gap is logged at error level, never silent.
   */
  const sendFollowUp = async (content: string, ephemeral: boolean) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await followUp(options.followUps, applicationId, token, content, ephemeral);
      } catch (error) {
        if (!(error instanceof InteractionCallError) || error.tokenGone) throw error;
        if (error.surelyNotDone && attempt < FOLLOW_UP_RETRIES) {
          await sleep(FOLLOW_UP_BACKOFF_MS * 2 ** attempt);
          continue;
        }
        if (error.surelyNotDone) throw error;
        log.error(
          { err: error, chars: content.length },
          "discord: a follow-up may not have been posted; not repeated, so it cannot appear twice",
        );
        return;
      }
    }
  };

  return {
    async post(reply: Reply) {
      const parts = renderReply(reply);
      if (!live()) return ordinary(parts, 0);
      let sent = 0;
      try {
        if (REFUSALS.has(reply.kind)) {
          await deleteOriginal(rest, applicationId, token).catch((error: unknown) => {
            log.debug({ err: error }, "discord: could not delete the deferred reply");
          });
          for (const part of parts) await sendFollowUp(part, true);
          return;
        }
        await editOriginal(rest, applicationId, token, parts[0] ?? "");
        sent = 1;
        await thread();
        for (; sent < parts.length; sent++) await sendFollowUp(parts[sent] ?? "", false);
      } catch (error) {
        if (!(error instanceof InteractionCallError && error.tokenGone)) throw error;
        log.info({ sent }, "discord: the interaction token no longer works; posting the rest as messages");
        await ordinary(parts, sent);
      }
    },
    canReply: () => true,
    // A slash command's question stands alone.
    readContext: async () => [],
    startWorking() {
      // The deferred reply already shows "<bot> is thinking…" until the answer edits it.
      return async () => {};
    },
  };
}
