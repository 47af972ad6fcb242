import { errorCode } from "../../src/http/network-failure.js";
import type { Logger } from "../../src/logger.js";
import { hostOf } from "../../src/redact-url.js";
import { SlackHttpError, SlackNetworkError, SlackPlatformError, SlackRateLimitedError } from "./api.js";

export interface CredentialHealthOptions {
  /** `auth.test` with the bot token; rejects while the token does not work. */
  probe: () => Promise<void>;
  logger: Logger;
  /** While the token does not work, `auth.test` runs this often to notice when it works again. @default 30_000 */
  probeIntervalMs?: number;
  /** While it does not, a message waiting for it runs `auth.test` at most this often. @default 5_000 */
  recheckMs?: number;
}

/**
 * Whether the bot token still works. Slack says so by answering `token_revoked`, `invalid_auth` or
 * `account_inactive`, or by sending `tokens_revoked` / `app_uninstalled`. While it does not, /readyz
 * names the cause and the core holds messages without asking the assistant (no reply could be
 * posted); a periodic `auth.test` notices when a reinstall or a new token made it work again, and so
 * does one run when a waiting message asks (`usable`, at most every `recheckMs`), so held messages are
 * answered within seconds of the token coming back.
 */
export class CredentialHealth {
  readonly #options: CredentialHealthOptions;
  readonly #intervalMs: number;
  readonly #recheckMs: number;
  #cause: string | null = null;
  /** performance.now() of the last auth.test started; the probe running, if any. */
  #probedAt = Number.NEGATIVE_INFINITY;
  #probing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: CredentialHealthOptions) {
    this.#options = options;
    this.#intervalMs = options.probeIntervalMs ?? 30_000;
    this.#recheckMs = options.recheckMs ?? 5_000;
  }

  get healthy(): boolean {
    return this.#cause === null;
  }

  /**
   * Whether the token works now; while it does not, asking runs `auth.test` again (at most every
   * `recheckMs`), so a message waiting for the token learns soon after it works again.
   */
  usable(): boolean {
    if (this.#cause === null) return true;
    if (performance.now() - this.#probedAt >= this.#recheckMs) void this.#probe();
    return false;
  }

  /** Null while the token works, else the /readyz reason. */
  notReadyReason(): string | null {
    if (this.#cause === null) return null;
    return `slack: the bot token no longer works (${this.#cause}); reinstall the app or set a new SLACK_BOT_TOKEN`;
  }

  /** Records that the token stopped working; logged at error level once per outage. */
  report(cause: string): void {
    if (this.#closed) return;
    if (this.#cause === null) {
      this.#options.logger.error(
        { cause },
        "slack: the bot token no longer works; messages are held, unanswered, until it works again",
      );
      this.#schedule();
    }
    this.#cause = cause;
  }

  /** Stops probing (at close). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /** The periodic auth.test, while the token does not work (for /readyz when no message waits). */
  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.#probe().then(() => {
        if (!this.#closed && this.#cause !== null) this.#schedule();
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** One auth.test at a time: the periodic one and those a waiting message asks for share it. */
  #probe(): Promise<void> {
    this.#probing ??= this.#runProbe().finally(() => {
      this.#probing = null;
    });
    return this.#probing;
  }

  async #runProbe(): Promise<void> {
    this.#probedAt = performance.now();
    try {
      await this.#options.probe();
    } catch (error) {
      this.#options.logger.debug({ err: error }, "slack: the bot token still does not work");
      return;
    }
    if (this.#closed || this.#cause === null) return;
    this.#options.logger.info({ cause: this.#cause }, "slack: the bot token works again");
    this.#cause = null;
    clearTimeout(this.#timer);
  }
}

/**
 * Why auth.test failed at start: Slack's error code, the HTTP status, or (when Slack was not reached)
 * the variable and host it went to with the network error. Never the request: it carries the token.
 */
export function describeStartFailure(error: unknown, apiUrl: string): string {
  const where = `SLACK_API_URL (${hostOf(apiUrl)})`;
  if (error instanceof SlackPlatformError) return `auth.test failed (${error.code})`;
  if (error instanceof SlackRateLimitedError) return "auth.test failed (rate limited)";
  if (error instanceof SlackHttpError) return `auth.test on ${where} answered HTTP ${error.status}`;
  if (error instanceof SlackNetworkError) {
    // The socket's own code (ECONNREFUSED, ENOTFOUND) says most; a timeout has none.
    const reason = error.failure === "timeout" ? "timeout" : (errorCode(error.cause) ?? error.failure);
    return `could not reach ${where} for auth.test: ${reason}`;
  }
  return `auth.test failed (${error instanceof Error ? error.name : "unknown error"})`;
}
