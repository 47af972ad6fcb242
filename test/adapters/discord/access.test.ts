import { describe, expect, it } from "vitest";
import { Access, type AccessOptions } from "../../../adapters/discord/access.js";

function access(options: Partial<AccessOptions> & { members?: string[] } = {}) {
  const lookups: string[] = [];
  let now = 0;
  const members = new Set(options.members ?? []);
  const gate = new Access({
    allowedGuilds: null,
    allowedUsers: null,
    isMember: async (guildId, userId) => {
      lookups.push(`${guildId}:${userId}`);
      return members.has(`${guildId}:${userId}`);
    },
    now: () => now,
    ...options,
  });
  return { gate, lookups, advance: (ms: number) => (now += ms) };
}

describe("Access", () => {
  it("lets everyone in when no list is set", async () => {
    const { gate, lookups } = access();
    expect(await gate.allows("u1", null)).toBe(true);
    expect(await gate.allows("u1", "g1")).toBe(true);
    expect(lookups).toEqual([]);
  });

  it("applies DISCORD_ALLOWED_USERS everywhere", async () => {
    const { gate } = access({ allowedUsers: new Set(["u1"]) });
    expect(await gate.allows("u1", "g1")).toBe(true);
    expect(await gate.allows("u2", "g1")).toBe(false);
    expect(await gate.allows("u2", null)).toBe(false);
  });

  it("applies DISCORD_ALLOWED_GUILDS to servers, and to DMs through membership", async () => {
    const { gate, lookups, advance } = access({ allowedGuilds: new Set(["g1", "g2"]), members: ["g2:u1"] });
    expect(await gate.allows("u1", "g1")).toBe(true);
    expect(await gate.allows("u1", "g3")).toBe(false);
    expect(await gate.allows("u1", null)).toBe(true);
    expect(await gate.allows("u2", null)).toBe(false);
    expect(lookups).toEqual(["g1:u1", "g2:u1", "g1:u2", "g2:u2"]);
    // Answers are kept for a while, then asked again.
    await gate.allows("u1", null);
    expect(lookups).toHaveLength(4);
    advance(10 * 60_000 + 1);
    await gate.allows("u1", null);
    expect(lookups).toHaveLength(6);
  });
});
