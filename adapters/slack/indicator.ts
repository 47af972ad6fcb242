import type { webApi } from "@slack/bolt";
import type { Logger } from "../../src/logger.js";

export interface WorkingIndicatorOptions {
  /** A client of its own (see createSlackAdapter): its 429s must never pause the replies. */
  client: Pick<webApi.WebClient, "reactions">;
  logger: Logger;
  /** Answers faster than this show no indicator at all. @default 1000 */
  delayMs?: number;
  /** @default "hourglass_flowing_sand" */
  emoji?: string;
  /** Indicators added per minute at most (Slack's Tier 3 allows about 50); more wait for none. @default 50 */
  perMinute?: number;
}

/**
 * The "working" indicator: a reaction on the question, added only once the answer has taken longer
 * than `delayMs` and removed after the reply. `reactions.add`/`remove` are Tier 3 (about 50 a minute
 * per workspace), so fast answers cost nothing, a burst of slow ones shows at most `perMinute`
 * indicators (a token bucket: the rest would only earn 429s), and a rate limit only hides the
 * indicator for a while.
 */
export class WorkingIndicator {
  readonly #client: Pick<webApi.WebClient, "reactions">;
  readonly #logger: Logger;
  readonly #delayMs: number;
  readonly #emoji: string;
  readonly #perMinute: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #pausedUntil = 0;
  #tokens: number;
  #refilledAt = Date.now();

  constructor(options: WorkingIndicatorOptions) {
    this.#client = options.client;
    this.#logger = options.logger;
    this.#delayMs = options.delayMs ?? 1000;
    this.#emoji = options.emoji ?? "hourglass_flowing_sand";
    this.#perMinute = options.perMinute ?? 50;
    this.#tokens = this.#perMinute;
  }

  /** Schedules the indicator on message `ts`; the returned function takes it away (or cancels it). */
  start(channel: string, ts: string): () => Promise<void> {
    const target = { channel, timestamp: ts, name: this.#emoji };
    let added: Promise<boolean> | undefined;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#takeToken()) return;
      added = this.#client.reactions.add(target).then(
        () => true,
        (error: unknown) => {
          this.#failed("reactions.add", error);
          return false;
        },
      );
    }, this.#delayMs);
    this.#timers.add(timer);
    return async () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
      if (!added || !(await added)) return;
      try {
        await this.#client.reactions.remove(target);
      } catch (error) {
        const retryAfterMs = this.#failed("reactions.remove", error);
        // A left-over hourglass would say "still working" forever: try once more after the limit.
        if (retryAfterMs !== null) this.#later(retryAfterMs, () => this.#client.reactions.remove(target));
      }
    };
  }

  /** Cancels pending indicators and retries (at close). */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  /** False while Slack asked for a pause or this minute's budget is spent. */
  #takeToken(): boolean {
    const now = Date.now();
    if (now < this.#pausedUntil) return false;
    this.#tokens = Math.min(
      this.#perMinute,
      this.#tokens + ((now - this.#refilledAt) * this.#perMinute) / 60_000,
    );
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  #later(delayMs: number, work: () => Promise<unknown>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      work().catch((error: unknown) => this.#failed("reactions.remove", error));
    }, delayMs);
    this.#timers.add(timer);
  }

  /** Logs a failed call; returns the wait Slack asked for when it was a rate limit. */
  #failed(method: string, error: unknown): number | null {
    const retryAfter = (error ?? {}) as { code?: unknown; retryAfter?: unknown };
    if (retryAfter.code === "slack_webapi_rate_limited_error" && typeof retryAfter.retryAfter === "number") {
      const waitMs = retryAfter.retryAfter * 1000;
      this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + waitMs);
      this.#logger.info({ method, retryAfterS: retryAfter.retryAfter }, "working indicator rate-limited");
      return waitMs;
    }
    const code = (error as { data?: { error?: unknown } } | null)?.data?.error;
    // The user may have added or removed the same emoji themselves: nothing to tell anyone.
    const benign = code === "already_reacted" || code === "no_reaction";
    this.#logger[benign ? "debug" : "warn"]({ err: error, method }, "working indicator call failed");
    return null;
  }
}
