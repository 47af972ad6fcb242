import { TokenBucket } from "../../src/collections/token-bucket.js";
import type { Logger } from "../../src/logger.js";
import {
  callWithin,
  type SlackArgs,
  type SlackCaller,
  SlackPlatformError,
  SlackRateLimitedError,
} from "./api.js";

export interface WorkingIndicatorOptions {
  /** The adapter's Web API transport (no queue: a 429 here never pauses the replies). */
  call: SlackCaller;
  logger: Logger;
  /** Answers faster than this show no indicator at all. @default 1000 */
  delayMs?: number;
  /** @default "hourglass_flowing_sand" */
  emoji?: string;
  /** Indicators added per minute at most (Slack's Tier 3 allows about 50); more wait for none. @default 50 */
  perMinute?: number;
  /** How often a DM's status is set again: Slack drops it after 2 minutes without a message. @default 100000 */
  statusRefreshMs?: number;
}

/** Where the indicator goes: the question (a reaction) or its thread (a DM's status). */
export interface IndicatorTarget {
  /** The workspace: where Slack refuses the status, its DMs get the reaction from then on. */
  team: string;
  channel: string;
  /** The thread root ts (the status belongs to the thread). */
  thread: string;
  /** The question's own ts (the reaction goes on it). */
  ts: string;
  /** A direct message: shown with `assistant.threads.setStatus` where Slack allows it. */
  dm: boolean;
}

/** One indicator call's timeout: it is a nicety, never worth a long wait. */
const CALL_TIMEOUT_MS = 10_000;
/** What Slack shows under a DM thread while the answer is pending. */
const STATUS = "is thinking…";
const LOADING_MESSAGES = ["Thinking…", "Asking the assistant…", "Still working on it…"];
/**
 * Errors that say nothing about whether the status works in this workspace: try again next time.
 * Any other refusal (the feature is not enabled for the app, a scope is missing…) is remembered.
 */
const TRANSIENT = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout"]);

type Shown = "status" | "reaction" | null;

/**
 * The "working" indicator, shown only once the answer has taken longer than `delayMs`. In DMs it is
 * Slack's thread status (`assistant.threads.setStatus`): set again before its 2-minute expiry, cleared
 * by Slack when the answer is posted, or here when none was. In channels, and in the DMs of a
 * workspace where Slack refused the status, it is a reaction on the question, removed after the
 * reply. `reactions.add`/`remove` are Tier 3 (about 50 a minute per workspace), so fast answers cost
 * nothing, a burst of slow ones shows at most `perMinute` reactions (a token bucket: the rest would
 * only earn 429s), and a rate limit only hides the indicator for a while.
 */
export class WorkingIndicator {
  readonly #call: (method: string, args: SlackArgs) => Promise<unknown>;
  readonly #logger: Logger;
  readonly #delayMs: number;
  readonly #emoji: string;
  readonly #statusRefreshMs: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Workspaces where Slack refused the status; bounded by the workspaces the bot is in. */
  readonly #reactionOnly = new Set<string>();
  readonly #budget: TokenBucket;
  #pausedUntil = 0;

  constructor(options: WorkingIndicatorOptions) {
    this.#call = (method, args) => callWithin(options.call, method, args, CALL_TIMEOUT_MS);
    this.#logger = options.logger;
    this.#delayMs = options.delayMs ?? 1000;
    this.#emoji = options.emoji ?? "hourglass_flowing_sand";
    this.#budget = new TokenBucket({ perMinute: options.perMinute ?? 50, now: Date.now });
    this.#statusRefreshMs = options.statusRefreshMs ?? 100_000;
  }

  /**
   * Schedules the indicator; the returned function takes it away (or cancels it). `posted` tells
   * whether a reply went out in the thread since (then Slack has cleared the status itself).
   */
  start(target: IndicatorTarget, posted: () => boolean = () => false): () => Promise<void> {
    let shown: Promise<Shown> | undefined;
    let stopped = false;
    let refresh: NodeJS.Timeout | undefined;
    const keepStatus = () => {
      refresh = this.#after(this.#statusRefreshMs, () => {
        refresh = undefined;
        if (stopped || posted()) return;
        this.#setStatus(target, STATUS).then(keepStatus, (error: unknown) => {
          this.#failed("assistant.threads.setStatus", error);
        });
      });
    };
    const timer = this.#after(this.#delayMs, () => {
      shown = this.#show(target).then((kind) => {
        if (kind === "status" && !stopped) keepStatus();
        return kind;
      });
    });
    return async () => {
      stopped = true;
      this.#cancel(timer);
      if (refresh) this.#cancel(refresh);
      const kind = await shown;
      if (kind === "reaction") await this.#removeReaction(target);
      if (kind === "status" && !posted()) {
        // No message went out (the reply failed): the status would otherwise linger for 2 minutes.
        await this.#setStatus(target, "").catch((error: unknown) => {
          this.#failed("assistant.threads.setStatus", error);
        });
      }
    };
  }

  /** Cancels pending indicators and retries (at close). */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async #show(target: IndicatorTarget): Promise<Shown> {
    if (!target.dm || this.#reactionOnly.has(target.team)) return this.#addReaction(target);
    try {
      await this.#setStatus(target, STATUS);
      return "status";
    } catch (error) {
      if (error instanceof SlackPlatformError && !TRANSIENT.has(error.code)) {
        this.#reactionOnly.add(target.team);
        this.#logger.info(
          { team: target.team, error: error.code },
          "slack refused assistant.threads.setStatus; DMs in this workspace get the reaction instead",
        );
      } else {
        this.#logger.debug({ err: error }, "assistant.threads.setStatus failed; the reaction this time");
      }
      return this.#addReaction(target);
    }
  }

  async #setStatus(target: IndicatorTarget, status: string): Promise<void> {
    await this.#call("assistant.threads.setStatus", {
      channel_id: target.channel,
      thread_ts: target.thread,
      status,
      loading_messages: status === "" ? undefined : JSON.stringify(LOADING_MESSAGES),
    });
  }

  async #addReaction(target: IndicatorTarget): Promise<Shown> {
    if (!this.#takeToken()) return null;
    try {
      await this.#call("reactions.add", this.#reaction(target));
      return "reaction";
    } catch (error) {
      this.#failed("reactions.add", error);
      return null;
    }
  }

  async #removeReaction(target: IndicatorTarget): Promise<void> {
    const reaction = this.#reaction(target);
    try {
      await this.#call("reactions.remove", reaction);
    } catch (error) {
      const retryAfterMs = this.#failed("reactions.remove", error);
      // A left-over hourglass would say "still working" forever: try once more after the limit.
      if (retryAfterMs !== null) {
        this.#after(retryAfterMs, () => {
          this.#call("reactions.remove", reaction).catch((again: unknown) => {
            this.#failed("reactions.remove", again);
          });
        });
      }
    }
  }

  #reaction(target: IndicatorTarget) {
    return { channel: target.channel, timestamp: target.ts, name: this.#emoji };
  }

  /** False while Slack asked for a pause or this minute's budget is spent. */
  #takeToken(): boolean {
    return Date.now() >= this.#pausedUntil && this.#budget.take();
  }

  #after(delayMs: number, work: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      work();
    }, delayMs);
    this.#timers.add(timer);
    return timer;
  }

  #cancel(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  /** Logs a failed call; returns the wait Slack asked for when it was a rate limit. */
  #failed(method: string, error: unknown): number | null {
    if (error instanceof SlackRateLimitedError) {
      const waitMs = error.retryAfterMs;
      // The reaction budget is what Slack limits per workspace; the status has limits of its own.
      if (method.startsWith("reactions."))
        this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + waitMs);
      this.#logger.info({ method, retryAfterS: waitMs / 1000 }, "working indicator rate-limited");
      return waitMs;
    }
    const code = error instanceof SlackPlatformError ? error.code : null;
    // The user may have added or removed the same emoji themselves: nothing to tell anyone.
    const benign = code === "already_reacted" || code === "no_reaction";
    this.#logger[benign ? "debug" : "warn"]({ err: error, method }, "working indicator call failed");
    return null;
  }
}
