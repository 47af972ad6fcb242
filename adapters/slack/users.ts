import { TtlMap } from "../../src/collections/ttl-map.js";
import type { Logger } from "../../src/logger.js";
import { callWithin, type SlackCaller, SlackPlatformError } from "./api.js";

/** What the bridge needs to know about a Slack user. */
export interface SlackUser {
  /** Display name, else real name, else handle; null when Slack gave none. */
  name: string | null;
  /** Lower-cased; null without `users:read.email` or for users with no email (bots, some guests). */
  email: string | null;
}

export interface UserDirectoryOptions {
  /**
   * One lookup's timeout. The Events API response waits for the message to be stored, so for its
   * lookups too: one try within this keeps it inside Slack's 3 s (a name not found shows as the id).
   * @default 1500
   */
  timeoutMs?: number;
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
  readonly #call: SlackCaller;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #cache: TtlMap<SlackUser>;
  readonly #inflight = new Map<string, Promise<SlackUser | null>>();

  constructor(call: SlackCaller, logger: Logger, options: UserDirectoryOptions = {}) {
    this.#call = call;
    this.#timeoutMs = options.timeoutMs ?? 1_500;
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
      const answer = await callWithin(this.#call, "users.info", { user: userId }, this.#timeoutMs);
      const user = answer.user as UserInfo | undefined;
      const profile = user?.profile;
      const name = profile?.display_name || profile?.real_name || user?.real_name || user?.name || null;
      const email = profile?.email?.trim().toLowerCase() ?? "";
      // Twilio tools split the identity on its first ":"; an address with another one is not usable.
      const found: SlackUser = { name, email: /^[^\s:@]+@[^\s:@]+$/.test(email) ? email : null };
      this.#cache.set(userId, found);
      return found;
    } catch (error) {
      if (error instanceof SlackPlatformError) {
        // Slack answered (user_not_found, account_inactive…): remember that, do not ask again soon.
        this.#logger.warn({ user: userId, error: error.code }, "users.info refused");
        this.#cache.set(userId, NOBODY);
        return NOBODY;
      }
      this.#logger.warn({ err: error, user: userId }, "users.info failed");
      return null;
    }
  }
}

/** The fields of `users.info`'s user the bridge reads. */
interface UserInfo {
  name?: string;
  real_name?: string;
  profile?: { display_name?: string; real_name?: string; email?: string };
}
