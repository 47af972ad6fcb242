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
import type { RepliesPace } from "./replies-pace.js";

/** Where one message goes: a channel (or a user id, for the app's DM with them) and a thread root. */
export interface PostTarget {
  channel: string;
  /** The thread root ts; null posts at the top level (a DM notice). */
  thread: string | null;
}

export interface PostOptions {
  /** Unique per message of a reply (request id and part): the marker a look-up of a post looks for. */
  key: string;
  /** The reply's budget for calls that fail or hang, shared by its messages (see HangBudget). */
  budget: HangBudget;
  /** Aborted at shutdown: the post stops where it is (SlackPostStoppedError). */
  signal: AbortSignal;
  /**
   * The post may have been made already (a reply recovered from a stopped worker): look for it
   * before posting. `since` (ms since the epoch) is when it could have been posted at the earliest.
   */
  lookFirst?: { since: number };
}

/** `posted`, or `unconfirmed`: the hang budget ran out and whether Slack carried the post out is not known. */
export type PostResult = "posted" | "unconfirmed";

/** The reply's hang budget ran out before this message could be posted: it surely was not. */
export class SlackDeadlineError extends Error {
  override name = "SlackDeadlineError";
}

/** Shutdown stopped the post before it was known to be made: whoever takes the reply over looks first. */
export class SlackPostStoppedError extends Error {
  override name = "SlackPostStoppedError";
}

/**
 * The time one reply may spend on calls that fail or hang, and on finding out what became of them
 * (back-off, look-ups and the waits between them). Waiting out a 429's Retry-After is not in it: a
 * 429 says for sure the post was not made and when to try again.
 */
export class HangBudget {
  #leftMs: number;
  readonly #clock: Clock;

  constructor(ms: number, clock: Clock = REAL_CLOCK) {
    this.#leftMs = ms;
    this.#clock = clock;
  }

  get spent(): boolean {
    return this.#leftMs <= 0;
  }

  get leftMs(): number {
    return Math.max(0, this.#leftMs);
  }

  /** Charges what `work` took. */
  async charge<T>(work: () => Promise<T>): Promise<T> {
    const started = this.#clock.now();
    try {
      return await work();
    } finally {
      this.#leftMs -= this.#clock.now() - started;
    }
  }

  /** Waits `ms` (charged), or what is left of the budget when less; false when that ran out first. */
  async wait(ms: number, signal: AbortSignal): Promise<boolean> {
    const waitMs = Math.min(ms, this.leftMs);
    await this.charge(() => this.#clock.sleep(waitMs, signal));
    return waitMs >= ms;
  }
}

/** The poster's sense of time: its waits (Retry-After, back-off, look-up pace) and the budget's. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => (ms > 0 ? sleep(ms, signal) : Promise.resolve()),
};

export interface SlackPosterOptions {
  call: SlackCaller;
  logger: Logger;
  metrics: Pick<SlackMetrics, "postErrors" | "postRetries">;
  /** Told about `token_revoked`, `invalid_auth`, `account_inactive`… answers. */
  onCredentialError: (code: string) => void;
  /** One attempt's timeout. @default 10_000 */
  attemptTimeoutMs?: number;
  /** Wait before the first look-up of a timed-out post, so a slow Slack has committed it. @default 2000 */
  checkDelayMs?: number;
  /**
   * The pace of `conversations.replies`, shared with the thread-context reads: every look-up waits
   * its turn there, and a 429 on one holds them all.
   */
  replies: RepliesPace;
  /** For tests of the back-off. @default Math.random */
  random?: () => number;
  /** For tests of long waits (a fast clock). @default real time */
  clock?: Clock;
}

/** The metadata type that marks the bridge's posts, so a timed-out one can be recognised. */
const MARKER_TYPE = "bridge_reply";
/** How far before an attempt the look-up starts, for clock skew between this host and Slack. */
const CHECK_SKEW_S = 10;
/** Pages of a thread one look-up reads at most (a recovered reply looks from the question on). */
const MAX_LOOKUP_PAGES = 5;

/** `ok: false` answers that are a rate limit too ("Application has posted too many messages"). */
const RATE_LIMIT_CODES: ReadonlySet<string> = new Set(["ratelimited", "rate_limited"]);

/**
 * Posts Slack messages. Slack's posting limit is per channel (about one a second, with bursts), and
 * so is this poster's: posts go out at once while Slack takes them, and a 429 pauses only its own
 * channel, for its Retry-After however long, never the others (as @slack/web-api's client would).
 * Retries only what surely did not post (429, a request that never left, 502/503); a post that may
 * have happened (timeout, reset, 500/504) is never repeated blindly: it is looked up in its thread
 * (by the marker in its metadata) at the pace Slack allows look-ups, and posted again only when
 * the thread shows it missing. Only the time spent on failing or hanging calls counts against the
 * reply's hang budget; when that runs out the post is `unconfirmed`.
 */
export class SlackPoster {
  readonly #options: SlackPosterOptions;
  /** performance.now() before which a channel may not post (its last Retry-After); only channels paused now. */
  readonly #pausedUntil = new Map<string, number>();
  readonly #attemptTimeoutMs: number;
  readonly #checkDelayMs: number;
  readonly #clock: Clock;

  constructor(options: SlackPosterOptions) {
    this.#options = options;
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
    this.#checkDelayMs = options.checkDelayMs ?? 2_000;
    this.#clock = options.clock ?? REAL_CLOCK;
  }

  /** A new hang budget of `ms` for one reply's posts, on the poster's clock. */
  budget(ms: number): HangBudget {
    return new HangBudget(ms, this.#clock);
  }

  /**
   * Posts `message` (its text, and its blocks when it has them) once its channel may post. Resolves
   * `posted` or `unconfirmed`; rejects with a SlackPlatformError (Slack refused it), a
   * SlackDeadlineError (the hang budget ran out, surely not posted) or a SlackPostStoppedError.
   */
  async post(target: PostTarget, message: SlackMessage, options: PostOptions): Promise<PostResult> {
    const { logger, metrics } = this.#options;
    const { budget, signal } = options;
    const args = {
      channel: target.channel,
      thread_ts: target.thread ?? undefined,
      text: message.text,
      blocks: message.blocks ? JSON.stringify(message.blocks) : undefined,
      metadata: JSON.stringify({ event_type: MARKER_TYPE, event_payload: { key: options.key } }),
    };
    /** Set while an earlier attempt may have posted: the earliest it could have. */
    let mayHavePosted: number | null = options.lookFirst?.since ?? null;
    let delayFirstLookup = false;
    for (let attempt = 0; ; attempt++) {
      await this.#turn(target.channel, signal);
      if (mayHavePosted !== null) {
        const found = await this.#resolve(target, options, mayHavePosted, delayFirstLookup);
        if (found === null) return "unconfirmed";
        if (found) return "posted";
        logger.warn(
          { channel: target.channel },
          "a slack post that may have timed out is not in its thread: posting it",
        );
        mayHavePosted = null;
        await this.#turn(target.channel, signal);
      }
      if (budget.spent) throw new SlackDeadlineError("the reply's hang budget ran out before this post");
      const startedAt = Date.now();
      try {
        await budget.charge(() =>
          this.#call("chat.postMessage", args, Math.min(this.#attemptTimeoutMs, budget.leftMs)),
        );
        return "posted";
      } catch (error) {
        if (isRateLimit(error)) {
          const retryInMs =
            error instanceof SlackRateLimitedError ? error.retryAfterMs : DEFAULT_RETRY_AFTER_MS;
          metrics.postRetries.inc({ reason: "rate_limited" });
          logger.info({ err: error, channel: target.channel, retryInMs }, "slack post will be retried");
          this.#rateLimited(target.channel, retryInMs);
          continue;
        }
        if (error instanceof SlackPlatformError) {
          if (CREDENTIAL_ERRORS.has(error.code)) this.#options.onCredentialError(error.code);
          throw error;
        }
        if (surelyNotPosted(error)) {
          if (signal.aborted) throw new SlackPostStoppedError("stopped before the post was made");
          const retryInMs = backoffMs(attempt, this.#options.random);
          metrics.postRetries.inc({ reason: retryReason(error) });
          logger.info({ err: error, channel: target.channel, retryInMs }, "slack post will be retried");
          if (!(await budget.wait(retryInMs, signal))) {
            throw new SlackDeadlineError("the reply's hang budget ran out retrying this post");
          }
          continue;
        }
        // From here on the post may have happened: never repeat it without looking first.
        if (signal.aborted) throw new SlackPostStoppedError("stopped while a post's fate was unknown");
        metrics.postErrors.inc({ error: "timeout" });
        mayHavePosted = startedAt;
        delayFirstLookup = true;
      }
    }
  }

  /** Waits until `channel` may post, however long its Retry-After; rejects only at shutdown. */
  async #turn(channel: string, signal: AbortSignal): Promise<void> {
    // A later 429 in the channel may push its pause further while this post waits.
    for (
      let until = this.#pausedUntil.get(channel);
      until !== undefined;
      until = this.#pausedUntil.get(channel)
    ) {
      const waitMs = until - this.#clock.now();
      if (waitMs <= 0) return;
      // Stopping ends waits, not attempts: a notice posted at shutdown still gets its one try.
      if (signal.aborted) throw new SlackPostStoppedError("stopped before the post was made");
      await this.#clock.sleep(waitMs, signal);
    }
  }

  #rateLimited(channel: string, retryAfterMs: number): void {
    const until = this.#clock.now() + retryAfterMs;
    const known = this.#pausedUntil.get(channel);
    if (known !== undefined && known >= until) return;
    this.#pausedUntil.set(channel, until);
    // Forgotten once over, so the map holds only channels paused right now.
    void this.#clock.sleep(retryAfterMs, NEVER).then(() => {
      if (this.#pausedUntil.get(channel) === until) this.#pausedUntil.delete(channel);
    });
  }

  /**
   * Finds out whether a post that may have happened since `since` is in its thread: true when it is,
   * false when the thread shows it is not, null when the hang budget ran out before that could be
   * told. Look-ups go at the pace Slack allows; one that cannot tell is tried again later.
   */
  async #resolve(
    target: PostTarget,
    options: PostOptions,
    since: number,
    delayFirst: boolean,
  ): Promise<boolean | null> {
    const { budget, signal } = options;
    // A post outside a thread (a DM notice) cannot be looked up by its thread.
    if (target.thread === null) return null;
    if (delayFirst && !(await budget.wait(this.#checkDelayMs, signal))) return null;
    for (;;) {
      const found = await this.#lookUp(target, options, since);
      if (found !== null) return found;
      if (budget.spent) return null;
    }
  }

  /** One look-up of the thread (a page or a few), each page in its turn of conversations.replies. */
  async #lookUp(target: PostTarget, options: PostOptions, since: number): Promise<boolean | null> {
    const { logger, metrics } = this.#options;
    const { budget, signal } = options;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LOOKUP_PAGES; page++) {
      // The wait for a turn is charged to the budget: a turn that comes too late resolves nothing.
      if (!(await this.#options.replies.turn((ms) => budget.wait(ms, signal)))) return null;
      if (signal.aborted) throw new SlackPostStoppedError("stopped while a post's fate was unknown");
      try {
        const answer = await budget.charge(() =>
          this.#call(
            "conversations.replies",
            {
              channel: target.channel,
              ts: target.thread ?? undefined,
              oldest: (since / 1000 - CHECK_SKEW_S).toFixed(6),
              inclusive: true,
              include_all_metadata: true,
              limit: 15,
              cursor,
            },
            this.#attemptTimeoutMs,
          ),
        );
        const messages = Array.isArray(answer.messages) ? (answer.messages as unknown[]) : [];
        if (messages.some((message) => markerOf(message) === options.key)) return true;
        const next = (answer.response_metadata as { next_cursor?: unknown } | undefined)?.next_cursor;
        if (answer.has_more !== true) return false;
        if (typeof next !== "string" || next === "") return null;
        cursor = next;
      } catch (error) {
        if (signal.aborted) throw new SlackPostStoppedError("stopped while a post's fate was unknown");
        if (error instanceof SlackRateLimitedError) this.#options.replies.limited(error.retryAfterMs);
        metrics.postErrors.inc({ error: "lookup_failed" });
        logger.warn({ err: error, channel: target.channel }, "could not look up a slack post");
        return null;
      }
    }
    return null;
  }

  /** One call with its own timeout (never cut short at shutdown: a call cut midway may have posted). */
  #call(method: string, args: SlackArgs, timeoutMs: number) {
    return callWithin(this.#options.call, method, args, timeoutMs);
  }
}

/** The signal of a wait nothing cuts short. */
const NEVER = new AbortController().signal;

/** A 502/503 comes from Slack's edge before any handler ran; 500 and 504 may follow a posted message. */
function surelyNotPosted(error: unknown): boolean {
  return (
    (error instanceof SlackNetworkError && error.neverSent) ||
    (error instanceof SlackHttpError && (error.status === 502 || error.status === 503))
  );
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
