import type { Logger } from "../../src/logger.js";

export interface CredentialHealthOptions {
  /** `auth.test` with the bot token; rejects while the token does not work. */
  probe: () => Promise<void>;
  logger: Logger;
  /** While the token does not work, `auth.test` runs this often to notice when it works again. @default 30_000 */
  probeIntervalMs?: number;
}

/**
 * Whether the bot token still works. Slack says so by answering `token_revoked`, `invalid_auth` or
 * `account_inactive`, or by sending `tokens_revoked` / `app_uninstalled`. While it does not, /readyz
 * names the cause, messages are not handed to the core (no reply could be posted), and a periodic
 * `auth.test` notices when a reinstall or a new token made it work again.
 */
export class CredentialHealth {
  readonly #options: CredentialHealthOptions;
  readonly #intervalMs: number;
  #cause: string | null = null;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: CredentialHealthOptions) {
    this.#options = options;
    this.#intervalMs = options.probeIntervalMs ?? 30_000;
  }

  get healthy(): boolean {
    return this.#cause === null;
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
        "slack: the bot token no longer works; messages are not answered until it does again",
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

  #schedule(): void {
    this.#timer = setTimeout(() => void this.#probe(), this.#intervalMs);
    this.#timer.unref();
  }

  async #probe(): Promise<void> {
    try {
      await this.#options.probe();
    } catch (error) {
      this.#options.logger.debug({ err: error }, "slack: the bot token still does not work");
      if (!this.#closed) this.#schedule();
      return;
    }
    if (this.#closed) return;
    this.#options.logger.info({ cause: this.#cause }, "slack: the bot token works again");
    this.#cause = null;
  }
}
