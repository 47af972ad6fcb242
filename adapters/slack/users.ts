import type { webApi } from "@slack/bolt";
import { TtlMap } from "../../src/collections/ttl-map.js";
import type { Logger } from "../../src/logger.js";

/** What the bridge needs to know about a Slack user. */
export interface SlackUser {
  /** Display name, else real name, else handle; null when Slack gave none. */
  name: string | null;
  /** Lower-cased; null without `users:read.email` or for users with no email (bots, some guests). */
  email: string | null;
}

export interface UserDirectoryOptions {
  /** @default 1 hour */
  ttlMs?: number;
  /** @default 10,000 */
  maxEntries?: number;
}

const NOBODY: SlackUser = { name: null, email: null };

/**
 * `users.info` with a bounded cache, asked only when a name or an email is needed. Concurrent
 * lookups of one user share one call (an app_mention and its message twin arrive together).
 */
export class UserDirectory {
  readonly #client: Pick<webApi.WebClient, "users">;
  readonly #logger: Logger;
  readonly #cache: TtlMap<SlackUser>;
  readonly #inflight = new Map<string, Promise<SlackUser | null>>();

  constructor(client: Pick<webApi.WebClient, "users">, logger: Logger, options: UserDirectoryOptions = {}) {
    this.#client = client;
    this.#logger = logger;
    this.#cache = new TtlMap({ ttlMs: options.ttlMs ?? 3_600_000, maxEntries: options.maxEntries ?? 10_000 });
  }

  /** The user, when looked up recently. */
  cached(userId: string): SlackUser | undefined {
    return this.#cache.get(userId);
  }

  /** Looks the user up; null when Slack could not be asked (then nothing is cached). */
  lookup(userId: string): Promise<SlackUser | null> {
    const cached = this.#cache.get(userId);
    if (cached) return Promise.resolve(cached);
    let pending = this.#inflight.get(userId);
    if (!pending) {
      pending = this.#fetch(userId).finally(() => this.#inflight.delete(userId));
      this.#inflight.set(userId, pending);
    }
    return pending;
  }

  async #fetch(userId: string): Promise<SlackUser | null> {
    try {
      const { user } = await this.#client.users.info({ user: userId });
      const profile = user?.profile;
      const name = profile?.display_name || profile?.real_name || user?.real_name || user?.name || null;
      const email = profile?.email?.trim().toLowerCase() ?? "";
      // Twilio tools split the identity on its first ":"; an address with another one is not usable.
      const found: SlackUser = { name, email: /^[^\s:@]+@[^\s:@]+$/.test(email) ? email : null };
      this.#cache.set(userId, found);
      return found;
    } catch (error) {
      if (isPlatformError(error)) {
        // Slack answered (user_not_found, account_inactive…): remember that, do not ask again soon.
        this.#logger.warn({ user: userId, error: error.data.error }, "users.info refused");
        this.#cache.set(userId, NOBODY);
        return NOBODY;
      }
      this.#logger.warn({ err: error, user: userId }, "users.info failed");
      return null;
    }
  }
}

function isPlatformError(error: unknown): error is { data: { error: string } } {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return (
    (error as { code?: unknown } | null)?.code === "slack_webapi_platform_error" &&
    typeof data?.error === "string"
  );
}
