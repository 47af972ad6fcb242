import type { FeedbackPort, Vote, VoteResult } from "../adapter.js";
import type { FeedbackClient } from "../assistant/types.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import type { BridgeStore } from "../state/store.js";
import type { FeedbackRef } from "../types.js";
import { retryDelayMs } from "./retry-policy.js";
import { sleep } from "./sleep.js";

/** Runs a task through the shared rate limit of assistant calls, behind the questions (the bridge's). */
export type Schedule = <T>(task: (signal: AbortSignal) => Promise<T>) => Promise<T>;

export interface FeedbackRecorderOptions {
  client: FeedbackClient;
  store: Pick<BridgeStore, "once" | "forget" | "remember" | "recall">;
  schedule: Schedule;
  logger: Logger;
  metrics: Metrics;
  /** Retries of a feedback call that is safe to retry (see retry-policy). @default 3 */
  maxRetries?: number;
  /**
   * How long a vote is remembered (one vote per person per answer) and a stored click reference
   * kept. A click on an older answer is told it can no longer be recorded. @default 30 days
   */
  ttlMs?: number;
  /** For tests of the back-off. @default Math.random */
  random?: () => number;
}

/** What the person who clicked is told, for each result, plus `expired` for a click nobody can resolve. Plain text. */
export const feedbackReplies = {
  recorded: "Thanks for your feedback!",
  already: "You already rated this answer; your first vote counts.",
  failed: "Sorry, your feedback could not be saved. Please try again in a moment.",
  unavailable: "Sorry, your feedback could not be saved right now. Please try again in a moment.",
  expired: "Sorry, this answer can no longer be rated.",
} as const satisfies Record<VoteResult | "expired", string>;

/** Longest comment sent to Twilio; the modals enforce it, the recorder cuts anything longer. */
export const MAX_COMMENT_CHARS = 1000;
const DEFAULT_TTL_MS = 30 * 24 * 60 * 60_000;
/** Separates the answer id from the session id in a click payload; answer ids never contain it. */
const SEPARATOR = "|";

/**
 * Records votes at Twilio's Feedbacks API: one per person per answer (through the shared store, so
 * any replica can take the click), through the shared rate limit, retrying only what cannot create a
 * duplicate, and forgetting the vote again when it could not be saved so that the person can retry.
 */
export class FeedbackRecorder implements FeedbackPort {
  readonly #options: FeedbackRecorderOptions;
  readonly #ttlMs: number;

  constructor(options: FeedbackRecorderOptions) {
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    if (!(ttlMs >= 1)) throw new RangeError(`ttlMs must be at least 1, got ${ttlMs}`);
    this.#options = options;
    this.#ttlMs = ttlMs;
  }

  /** Records one vote; never throws (every outcome is logged and counted). */
  async record(vote: Vote): Promise<VoteResult> {
    const result = await this.#record(vote);
    this.#options.metrics.feedbackVotes.inc({ platform: vote.platform, score: vote.score, result });
    return result;
  }

  /**
   * The click payload of an answer in at most `maxChars` characters: the answer and session ids
   * inline when they fit, else only the answer id, with the session id kept in the shared store.
   * Rejects when the store cannot be reached (the answer is then posted without buttons).
   */
  async pack(ref: FeedbackRef, maxChars: number): Promise<string> {
    const inline = encodeRef(ref);
    if (inline.length <= maxChars) return inline;
    if (ref.answerId.length > maxChars) {
      throw new RangeError(`answer id ${ref.answerId} does not fit in ${maxChars} characters`);
    }
    await this.#options.store.remember(refKey(ref.answerId), ref.sessionId, this.#ttlMs);
    return ref.answerId;
  }

  /** The answer behind a click payload made by `pack`; null when it expired or is not one of ours. */
  async unpack(token: string): Promise<FeedbackRef | null> {
    const inline = decodeRef(token);
    if (inline) return inline;
    if (token === "" || token.includes(SEPARATOR)) return null;
    const sessionId = await this.#options.store.recall(refKey(token));
    return sessionId ? { answerId: token, sessionId } : null;
  }

  async #record(vote: Vote): Promise<VoteResult> {
    const { store, logger } = this.#options;
    const log = logger.child({ platform: vote.platform, answerId: vote.answerId, score: vote.score });
    const key = voteKey(vote);
    try {
      if (!(await store.once(key, this.#ttlMs))) return "already";
    } catch (error) {
      log.warn({ err: error }, "feedback not recorded: the store is unavailable");
      return "unavailable";
    }
    if (await this.#send(vote, log)) return "recorded";
    // Not saved: the person may try again, so the vote must not count as given.
    await store.forget(key).catch((error: unknown) => {
      log.warn(
        { err: error },
        "could not forget a failed vote; the person cannot vote again until it expires",
      );
    });
    return "failed";
  }

  /** True once Twilio has the feedback; retries what is safe to retry, logs the rest. */
  async #send(vote: Vote, log: Logger): Promise<boolean> {
    const { client, schedule, metrics } = this.#options;
    const maxRetries = this.#options.maxRetries ?? 3;
    const text = vote.text?.trim().slice(0, MAX_COMMENT_CHARS);
    const request = { sessionId: vote.sessionId, score: vote.score, ...(text ? { text } : {}) };
    for (let attempt = 0; ; attempt++) {
      try {
        const { id } = await schedule((signal) => client.sendFeedback(request, signal));
        metrics.feedbackCalls.inc({ outcome: "ok" });
        log.info(
          { feedbackId: id, attempt, withText: text !== undefined && text !== "" },
          "feedback recorded",
        );
        return true;
      } catch (error) {
        // A timeout or a 5xx may have created the feedback already: retrying could count it twice.
        const delay = attempt < maxRetries ? retryDelayMs(error, attempt, this.#options.random) : null;
        if (delay === null) {
          metrics.feedbackCalls.inc({ outcome: "failed" });
          log.error({ err: error, attempt }, "feedback could not be recorded");
          return false;
        }
        metrics.feedbackCalls.inc({ outcome: "retried" });
        log.warn({ err: error, attempt, delayMs: delay }, "feedback call will be retried");
        await sleep(delay);
      }
    }
  }
}

/** The inline click payload `<answerId>|<sessionId>` (pure: adapters that need no store use it directly). */
export function encodeRef(ref: FeedbackRef): string {
  return `${ref.answerId}${SEPARATOR}${ref.sessionId}`;
}

/** Reads an inline payload made by `encodeRef`; null when `token` is not one. */
export function decodeRef(token: string): FeedbackRef | null {
  const at = token.indexOf(SEPARATOR);
  if (at <= 0 || at === token.length - 1) return null;
  return { answerId: token.slice(0, at), sessionId: token.slice(at + 1) };
}

/** The store keys, built in one place. */
function voteKey(vote: Pick<Vote, "platform" | "answerId" | "voter">): string {
  return `feedback:vote:${vote.platform}:${vote.answerId}:${vote.voter}`;
}

function refKey(answerId: string): string {
  return `feedback:ref:${answerId}`;
}
