import { BoundedMap } from "../../src/collections/bounded-map.js";

export const REFUSAL = "Sorry, I'm not set up to answer you here.";

export interface AccessOptions {
  /** DISCORD_ALLOWED_GUILDS: null allows every server. */
  allowedGuilds: ReadonlySet<string> | null;
  /** DISCORD_ALLOWED_USERS: null allows every user. */
  allowedUsers: ReadonlySet<string> | null;
  /** Whether a user is a member of a guild (a REST call; its answers are kept for `memberTtlMs`). */
  isMember: (guildId: string, userId: string) => Promise<boolean>;
  /** @default 10 minutes */
  memberTtlMs?: number;
  /** @default Date.now */
  now?: () => number;
}

const MAX_USERS = 10_000;

/**
 * The allow-lists. A message is answered when its author is allowed (DISCORD_ALLOWED_USERS) and it
 * comes from an allowed server (DISCORD_ALLOWED_GUILDS). A DM comes from no server, so with a server
 * list set it is answered only for members of a listed server: otherwise anyone who shares any server
 * with the bot could use it by DM.
 */
export class Access {
  readonly #options: AccessOptions;
  readonly #members = new BoundedMap<string, { allowed: boolean; until: number }>(MAX_USERS);
  readonly #now: () => number;

  constructor(options: AccessOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Whether to answer `userId` in `guildId` (null for a DM). Rejects when the membership lookup fails. */
  async allows(userId: string, guildId: string | null): Promise<boolean> {
    const { allowedGuilds, allowedUsers } = this.#options;
    if (allowedUsers && !allowedUsers.has(userId)) return false;
    if (!allowedGuilds) return true;
    if (guildId !== null) return allowedGuilds.has(guildId);
    return this.#memberOfAllowedGuild(userId, allowedGuilds);
  }

  async #memberOfAllowedGuild(userId: string, guilds: ReadonlySet<string>): Promise<boolean> {
    const now = this.#now();
    const known = this.#members.get(userId);
    if (known && known.until > now) return known.allowed;
    let allowed = false;
    for (const guildId of guilds) {
      if (await this.#options.isMember(guildId, userId)) {
        allowed = true;
        break;
      }
    }
    this.#members.set(userId, { allowed, until: now + (this.#options.memberTtlMs ?? 10 * 60_000) });
    return allowed;
  }
}
