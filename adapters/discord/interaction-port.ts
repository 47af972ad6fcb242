import type { ThreadPort } from "../../src/adapter.js";
import type { Reply, ReplyAddress, ReplyKind } from "../../src/types.js";
import { postMessage, startThread } from "./api.js";
import {
  deleteOriginal,
  editOriginal,
  followUp,
  InteractionCallError,
  TOKEN_LIFETIME_MS,
} from "./interaction-api.js";
import type { PortOptions } from "./port.js";
import { messageBody, nonceFor, renderReply } from "./replies.js";

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
export function interactionAddress(address: ReplyAddress): InteractionAddress {
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

export interface InteractionPortOptions extends PortOptions {
  /** @default Date.now */
  now?: () => number;
}

/** Notices only the asker needs to see. */
const EPHEMERAL: ReadonlySet<ReplyKind> = new Set(["busy", "too_long"]);
/** The last stretch of the token's life is not used: a long answer must not be cut off midway. */
const SAFETY_MS = 60_000;

/**
 * The core's handle on a slash command, rebuilt from its address alone. The answer edits the
 * deferred reply and continues in follow-ups; in a server text channel a thread is then started on
 * the reply. Busy and too-long notices replace the reply with a message only the asker sees. Once
 * the token has expired, the answer is posted as an ordinary message in the thread or channel.
 */
export function interactionPort(address: InteractionAddress, options: InteractionPortOptions): ThreadPort {
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

  return {
    async post(reply: Reply) {
      const parts = renderReply(reply);
      if (!live()) return ordinary(parts, 0);
      let sent = 0;
      try {
        if (EPHEMERAL.has(reply.kind)) {
          await deleteOriginal(rest, applicationId, token).catch((error: unknown) => {
            log.debug({ err: error }, "discord: could not delete the deferred reply");
          });
          for (const part of parts) await followUp(rest, applicationId, token, part, true);
          return;
        }
        await editOriginal(rest, applicationId, token, parts[0] ?? "");
        sent = 1;
        await thread();
        for (; sent < parts.length; sent++) await followUp(rest, applicationId, token, parts[sent] ?? "");
      } catch (error) {
        if (!(error instanceof InteractionCallError && error.tokenGone)) throw error;
        log.info({ sent }, "discord: the interaction token no longer works; posting the rest as messages");
        await ordinary(parts, sent);
      }
    },
    canReply: () => true,
    startWorking() {
      // The deferred reply already shows "<bot> is thinking…" until the answer edits it.
      return async () => {};
    },
  };
}
