import type { REST } from "discord.js";
import type { FeedbackPort, ThreadPort } from "../../src/adapter.js";
import type { Logger } from "../../src/logger.js";
import { sleep } from "../../src/pipeline/sleep.js";
import type { Reply, ReplyAddress } from "../../src/types.js";
import { postMessage, sendTyping } from "./api.js";
import { FEEDBACK_TOKEN_CHARS, feedbackRow, messageBody, nonceFor, renderReply } from "./replies.js";

/** The longest an answer waits for a typing request still on its way. */
const TYPING_WAIT_MS = 1000;

export interface PortTarget {
  /** Where the replies go: the DM channel or the thread. */
  channelId: string;
  /** The question, shown as what the first message answers; null in a thread started on it. */
  replyTo: string | null;
  /**
   * The question's message id. Nonces derive from it, not from a per-process request id, so that
   * when a rolling restart briefly runs two processes that both answer it, Discord keeps one post.
   */
  questionId: string;
}

/** The target a Discord message was stored with, checked: a malformed one is a bug, not a reply. */
export function portTarget(address: ReplyAddress): PortTarget {
  const { channelId, replyTo, questionId } = address;
  if (
    typeof channelId !== "string" ||
    typeof questionId !== "string" ||
    !(replyTo === null || typeof replyTo === "string")
  ) {
    throw new Error("not a Discord reply address");
  }
  return { channelId, replyTo, questionId };
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
}

/** The core's handle on one Discord conversation: posts replies and keeps "typing…" up while waiting. */
export class DiscordPort implements ThreadPort {
  readonly #target: PortTarget;
  readonly #options: PortOptions;
  #loop: NodeJS.Timeout | undefined;
  /** The typing request on its way, if any (never rejects); awaited so it cannot land after the answer. */
  #typing: Promise<void> | null = null;

  constructor(target: PortTarget, options: PortOptions) {
    this.#target = target;
    this.#options = options;
  }

  /** Posts the reply's messages in order; the first answers the question. Throws if one fails. */
  async post(reply: Reply): Promise<void> {
    // A typing request that lands after the answer would show "typing…" again for 10 s: stop first.
    await this.#stopTyping();
    const { rest } = this.#options;
    const parts = renderReply(reply);
    const buttons = await this.#feedbackRow(reply);
    for (const [index, content] of parts.entries()) {
      const body = messageBody(content, {
        nonce: nonceFor(this.#target.questionId, index),
        replyTo: index === 0 ? this.#target.replyTo : null,
        ...(buttons && index === parts.length - 1 ? { components: [buttons] } : {}),
      });
      await postMessage(rest, this.#target.channelId, body);
    }
  }

  /** The feedback row for an answer's last message; none when off, or when the store cannot keep its payload. */
  async #feedbackRow(reply: Reply) {
    const recorder = this.#options.feedback;
    if (!reply.feedback || !recorder) return null;
    try {
      return feedbackRow(await recorder.pack(reply.feedback, FEEDBACK_TOKEN_CHARS));
    } catch (error) {
      // The answer matters more than its buttons.
      this.#options.logger.warn({ err: error }, "discord: answer posted without feedback buttons");
      return null;
    }
  }

  /** Discord has no revocation the bot learns of before a post fails: always worth trying. */
  canReply(): boolean {
    return true;
  }

  startWorking(): () => Promise<void> {
    const { rest, logger, typingIntervalMs, typingLoops } = this.#options;
    const channelId = this.#target.channelId;
    const type = () => {
      const request: Promise<void> = sendTyping(rest, channelId)
        .catch((error: unknown) => {
          // Typing is a nicety: a failure is not worth more than a debug line.
          logger.debug({ err: error, channelId }, "discord: could not send the typing indicator");
        })
        .then(() => {
          if (this.#typing === request) this.#typing = null;
        });
      this.#typing = request;
    };
    type();
    const loop = setInterval(type, typingIntervalMs);
    loop.unref();
    typingLoops.add(loop);
    this.#loop = loop;
    return () => this.#stopTyping();
  }

  async #stopTyping(): Promise<void> {
    if (this.#loop) {
      clearInterval(this.#loop);
      this.#options.typingLoops.delete(this.#loop);
      this.#loop = undefined;
    }
    if (!this.#typing) return;
    // Bounded: a typing request stuck behind a rate limit must not hold the answer back.
    const timeout = new AbortController();
    await Promise.race([this.#typing, sleep(TYPING_WAIT_MS, timeout.signal)]);
    timeout.abort();
  }
}

/** Posts one short message of the adapter's own (a refusal, a `/new` confirmation), idempotent per `key`. */
export async function postNote(rest: REST, target: PortTarget, text: string, key: string): Promise<void> {
  await postMessage(
    rest,
    target.channelId,
    messageBody(text, { nonce: nonceFor(key, 0), replyTo: target.replyTo }),
  );
}
