import { TokenBucket } from "../../src/collections/token-bucket.js";
import type { Logger } from "../../src/logger.js";
import { backoffMs } from "../../src/pipeline/retry-policy.js";
import { sleep } from "../../src/pipeline/sleep.js";
import {
  CREDENTIAL_ERRORS,
  callWithin,
  DEFAULT_RETRY_AFTER_MS,
  type SlackArgs,
  type SlackCaller,
  SlackHttpError,
  SlackNetworkError,
  SlackPlatformError,
  SlackRateLimitedError,
} from "./api.js";
import type { SlackMetrics } from "./metrics.js";
import type { SlackMessage } from "./render.js";

/** Where one message goes: a channel (or a user id, for the app's DM with them) and a thread root. */
export interface PostTarget {
  channel: string;
  /** The thread root ts; null posts at the top level (a DM notice). */
  thread: string | null;
}

export interface PostOptions {
  /** Unique per message of a reply (request id and part): the marker the timed-out-post check looks for. */
  key: string;
  /** Aborts at the reply's deadline: waiting, retries and checks all stop there. */
  signal: AbortSignal;
}

/** `posted`, or `unconfirmed`: the post timed out and whether Slack carried it out is not known. */
export type PostResult = "posted" | "unconfirmed";

/** The reply's time ran out before this message could be posted: it surely was not. */
export class SlackDeadlineError extends Error {
  override name = "SlackDeadlineError";
}

export interface SlackPosterOptions {
  call: SlackCaller;
  logger: Logger;
  metrics: Pick<SlackMetrics, "postErrors" | "postRetries">;
  /** Told about `token_revoked`, `invalid_auth`, `account_inactive`… answers. */
  onCredentialError: (code: string) => void;
  /** One attempt's timeout. @default 10_000 */
  attemptTimeoutMs?: number;
  /** Wait before looking for a timed-out post, so a slow Slack has committed it. @default 2000 */
  checkDelayMs?: number;
  /** Look-ups of timed-out posts per minute (`conversations.replies` allows one for new apps). @default 1 */
  checksPerMinute?: number;
  /** For tests of the back-off. @default Math.random */
  random?: () => number;
}

/** The metadata type that marks the bridge's posts, so a timed-out one can be recognised. */
const MARKER_TYPE = "bridge_reply";
/** How far before an attempt the look-up starts, for clock skew between this host and Slack. */
const CHECK_SKEW_S = 10;

/** `ok: false` answers that are a rate limit too ("Application has posted too many messages"). */
const RATE_LIMIT_CODES: ReadonlySet<string> = new Set(["ratelimited", "rate_limited"]);

/**
 * Posts Slack messages. Slack's posting limit is per channel (about one a second, with bursts), and
 * so is this poster's: posts go out at once while Slack takes them, and a 429 pauses only its own
 * channel, for its Retry-After, never the others (as @slack/web-api's client would). A fixed pace
 * of its own would hold a busy channel's answers back when Slack would take them in a burst.
 * Retries only what surely did not post (429, a request that never left, 502/503); a post that may
 * have happened (timeout, reset, 500/504) is looked up once in its thread instead of being repeated
 * blindly, and sent again only when the look-up shows it missing. Every post of a reply shares the
 * reply's deadline.
 */
export class SlackPoster {
  readonly #options: SlackPosterOptions;
  /** performance.now() before which a channel may not post (its last Retry-After); only channels paused now. */
  readonly #pausedUntil = new Map<string, number>();
  readonly #attemptTimeoutMs: number;
  readonly #checkDelayMs: number;
  /** Look-ups of timed-out posts left this minute. */
  readonly #checks: TokenBucket;

  constructor(options: SlackPosterOptions) {
    this.#options = options;
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
    this.#checkDelayMs = options.checkDelayMs ?? 2_000;
    this.#checks = new TokenBucket({ perMinute: options.checksPerMinute ?? 1 });
  }

  /**
   * Posts `message` (its text, and its blocks when it has them) once its channel may post. Resolves `posted` or `unconfirmed`; rejects with a
   * SlackPlatformError (Slack refused it) or a SlackDeadlineError (out of time, surely not posted).
   */
  async post(target: PostTarget, message: SlackMessage, options: PostOptions): Promise<PostResult> {
    const { logger, metrics } = this.#options;
    const args = {
      channel: target.channel,
      thread_ts: target.thread ?? undefined,
      text: message.text,
      blocks: message.blocks ? JSON.stringify(message.blocks) : undefined,
      metadata: JSON.stringify({ event_type: MARKER_TYPE, event_payload: { key: options.key } }),
    };
    let reposted = false;
    for (let attempt = 0; ; attempt++) {
      await this.#turn(target.channel, options.signal);
      const startedAt = Date.now();
      try {
        await this.#call("chat.postMessage", args, options.signal);
        return "posted";
      } catch (error) {
        const retryInMs = this.#retryDelay(error, attempt);
        if (retryInMs !== null) {
          metrics.postRetries.inc({ reason: retryReason(error) });
          logger.info({ err: error, channel: target.channel, retryInMs }, "slack post will be retried");
          if (isRateLimit(error)) this.#rateLimited(target.channel, retryInMs);
          else await waitWithin(retryInMs, options.signal);
          continue;
        }
        if (error instanceof SlackPlatformError) {
          if (CREDENTIAL_ERRORS.has(error.code)) this.#options.onCredentialError(error.code);
          throw error;
        }
        // From here on the post may have happened: never repeat it without looking first.
        if (options.signal.aborted || reposted) return "unconfirmed";
        const found = await this.#lookUp(target, options, startedAt);
        if (found !== false) return found ? "posted" : "unconfirmed";
        reposted = true;
        logger.warn(
          { channel: target.channel },
          "a timed-out slack post is not in its thread: posting it again",
        );
      }
    }
  }

  /** Waits until `channel` may post; rejects (the post surely not made) when the deadline comes first. */
  async #turn(channel: string, signal: AbortSignal): Promise<void> {
    // A later 429 in the channel may push its pause further while this post waits.
    for (
      let until = this.#pausedUntil.get(channel);
      until !== undefined;
      until = this.#pausedUntil.get(channel)
    ) {
      const waitMs = until - performance.now();
      if (waitMs <= 0) return;
      await waitWithin(waitMs, signal);
    }
  }

  #rateLimited(channel: string, retryAfterMs: number): void {
    const until = performance.now() + retryAfterMs;
    const known = this.#pausedUntil.get(channel);
    if (known !== undefined && known >= until) return;
    this.#pausedUntil.set(channel, until);
    // Forgotten once over, so the map holds only channels paused right now.
    setTimeout(() => {
      if (this.#pausedUntil.get(channel) === until) this.#pausedUntil.delete(channel);
    }, retryAfterMs).unref();
  }

  /** The pause before retrying `error`, or null when it must not be retried. */
  #retryDelay(error: unknown, attempt: number): number | null {
    if (error instanceof SlackRateLimitedError) return error.retryAfterMs;
    if (isRateLimit(error)) return DEFAULT_RETRY_AFTER_MS;
    // A 502/503 comes from Slack's edge before any handler ran; 500 and 504 may follow a posted message.
    const surelyNotPosted =
      (error instanceof SlackNetworkError && error.neverSent) ||
      (error instanceof SlackHttpError && (error.status === 502 || error.status === 503));
    return surelyNotPosted ? backoffMs(attempt, this.#options.random) : null;
  }

  /**
   * Looks for the timed-out post in its thread: true when it is there, false when the thread shows
   * it is not, null when that cannot be told (no look-up left this minute, an error, too many
   * messages since). The look-up waits `checkDelayMs` first, for a slow Slack to finish the post.
   */
  async #lookUp(target: PostTarget, options: PostOptions, startedAt: number): Promise<boolean | null> {
    const { logger, metrics } = this.#options;
    if (target.thread === null || !this.#checks.take()) return null;
    try {
      await waitWithin(this.#checkDelayMs, options.signal);
      const answer = await this.#call(
        "conversations.replies",
        {
          channel: target.channel,
          ts: target.thread,
          oldest: (startedAt / 1000 - CHECK_SKEW_S).toFixed(6),
          inclusive: true,
          include_all_metadata: true,
          limit: 15,
        },
        options.signal,
      );
      const messages = Array.isArray(answer.messages) ? (answer.messages as unknown[]) : [];
      if (messages.some((message) => markerOf(message) === options.key)) return true;
      return answer.has_more === true ? null : false;
    } catch (error) {
      metrics.postErrors.inc({ error: "lookup_failed" });
      logger.warn({ err: error, channel: target.channel }, "could not look up a timed-out slack post");
      return null;
    }
  }

  /** One call with its own timeout, cut short by the reply's deadline too. */
  #call(method: string, args: SlackArgs, deadline: AbortSignal) {
    return callWithin(this.#options.call, method, args, this.#attemptTimeoutMs, deadline);
  }
}

/** Resolves after `ms`; rejects with a SlackDeadlineError once `signal` aborts. */
async function waitWithin(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw new SlackDeadlineError("the reply ran out of time before this post");
  if (ms <= 0) return;
  await sleep(ms, signal);
  if (signal.aborted) throw new SlackDeadlineError("the reply ran out of time waiting for its turn");
}

function isRateLimit(error: unknown): boolean {
  return (
    error instanceof SlackRateLimitedError ||
    (error instanceof SlackPlatformError && RATE_LIMIT_CODES.has(error.code))
  );
}

function retryReason(error: unknown): string {
  if (isRateLimit(error)) return "rate_limited";
  if (error instanceof SlackHttpError) return `http_${error.status}`;
  return "never_sent";
}

function markerOf(message: unknown): string | null {
  const metadata = (message as { metadata?: { event_type?: unknown; event_payload?: { key?: unknown } } })
    ?.metadata;
  if (metadata?.event_type !== MARKER_TYPE) return null;
  return typeof metadata.event_payload?.key === "string" ? metadata.event_payload.key : null;
}
