import { describe, expect, it } from "vitest";
import { REFUSAL } from "../../../adapters/discord/access.js";
import { useDiscordHarness } from "../../support/discord-harness.js";
import {
  DM_CHANNEL_ID,
  GUILD_ID,
  OTHER_DM_CHANNEL_ID,
  OTHER_USER,
  TEXT_CHANNEL_ID,
  USER,
} from "../../support/discord-ids.js";

const start = useDiscordHarness();

describe("Discord allow-lists", () => {
  it("refuses users not in DISCORD_ALLOWED_USERS once, politely, and answers the listed ones", async () => {
    const h = await start({ config: { allowedUsers: new Set([OTHER_USER.id]) } });
    const first = h.dm("may I?");
    h.dm("please?");
    h.dm("allowed question", { author: OTHER_USER, channelId: OTHER_DM_CHANNEL_ID });
    await h.rest.messagesIn(OTHER_DM_CHANNEL_ID, 1);
    const [refusal] = await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    await h.gateway.roundTrip();

    expect(refusal?.content).toBe(REFUSAL);
    expect(refusal?.body.message_reference).toEqual({ message_id: first, fail_if_not_exists: false });
    expect(h.rest.created.filter((m) => m.channelId === DM_CHANNEL_ID)).toHaveLength(1);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["allowed question"]);
  });

  it("refuses mentions on servers not in DISCORD_ALLOWED_GUILDS without starting a thread", async () => {
    const h = await start({ config: { allowedGuilds: new Set(["1200000000000000999"]) } });
    const question = h.mention("hello from an unlisted server");
    const [refusal] = await h.rest.messagesIn(TEXT_CHANNEL_ID, 1);
    expect(refusal?.content).toBe(REFUSAL);
    expect(refusal?.body.message_reference).toEqual({ message_id: question, fail_if_not_exists: false });
    expect(h.rest.calls.filter((c) => c.path.endsWith("/threads"))).toEqual([]);
    expect(h.core.simulator.received).toEqual([]);
  });

  it("answers mentions on a listed server", async () => {
    const h = await start({ config: { allowedGuilds: new Set([GUILD_ID]) } });
    const question = h.mention("hello from a listed server");
    await h.rest.messagesIn(question, 1);
    expect(h.core.simulator.received).toHaveLength(1);
  });

  it("answers DMs only from members of a listed server when DISCORD_ALLOWED_GUILDS is set", async () => {
    const h = await start({ config: { allowedGuilds: new Set([GUILD_ID]) } });
    h.rest.members.add(`${GUILD_ID}:${OTHER_USER.id}`);
    h.dm("I am not a member");
    h.dm("I am a member", { author: OTHER_USER, channelId: OTHER_DM_CHANNEL_ID });
    const [refusal] = await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    await h.rest.messagesIn(OTHER_DM_CHANNEL_ID, 1);
    expect(refusal?.content).toBe(REFUSAL);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["I am a member"]);
    const lookups = h.rest.calls
      .filter((c) => c.path.startsWith(`/guilds/${GUILD_ID}/members/`))
      .map((c) => c.path);
    expect(lookups.sort()).toEqual([
      `/guilds/${GUILD_ID}/members/${USER.id}`,
      `/guilds/${GUILD_ID}/members/${OTHER_USER.id}`,
    ]);
  });
});
