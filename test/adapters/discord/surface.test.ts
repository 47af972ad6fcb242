import { describe, expect, it } from "vitest";
import { COMMANDS, sameCommands } from "../../../adapters/discord/surface.js";
import { useDiscordHarness } from "../../support/discord-harness.js";
import { BOT_USER, GUILD_ID } from "../../support/discord-ids.js";

const start = useDiscordHarness();
const GLOBAL = `/applications/${BOT_USER.id}/commands`;
const commandCalls = (h: Awaited<ReturnType<typeof start>>) =>
  h.rest.calls.filter((call) => call.path.endsWith("/commands")).map((call) => `${call.method} ${call.path}`);

describe("slash command registration", () => {
  it("registers /ask and /new globally at start with one bulk PUT", async () => {
    const h = await start();
    const [put] = await h.rest.waitForCalls((call) => call.method === "PUT", 1);
    expect(commandCalls(h)).toEqual([`GET ${GLOBAL}`, `PUT ${GLOBAL}`]);
    expect(put?.body).toEqual(COMMANDS);
    expect((h.rest.commands.get("global") ?? []).map((command) => command.name)).toEqual(["ask", "new"]);
  });

  it("registers nothing on a restart when Discord already has the same commands", async () => {
    const h = await start();
    await h.rest.waitForCalls((call) => call.method === "PUT", 1);
    await h.restart();
    await h.rest.waitForCalls((call) => call.method === "GET" && call.path === GLOBAL, 2);
    await h.gateway.roundTrip();
    expect(commandCalls(h)).toEqual([`GET ${GLOBAL}`, `PUT ${GLOBAL}`, `GET ${GLOBAL}`]);
  });

  it("registers per guild, and not globally, when DISCORD_COMMAND_GUILDS lists guilds", async () => {
    const other = "1200000000000000002";
    const h = await start({ config: { commandGuilds: new Set([GUILD_ID, other]) } });
    await h.rest.waitForCalls((call) => call.method === "PUT", 2);
    const route = (guild: string) => `/applications/${BOT_USER.id}/guilds/${guild}/commands`;
    expect(commandCalls(h).sort()).toEqual(
      [
        `GET ${route(GUILD_ID)}`,
        `PUT ${route(GUILD_ID)}`,
        `GET ${route(other)}`,
        `PUT ${route(other)}`,
      ].sort(),
    );
  });

  it("logs a refused registration and keeps running", async () => {
    const h = await start();
    h.rest.override = (call) =>
      call.method === "PUT" ? { status: 403, body: { code: 50001, message: "Missing Access" } } : undefined;
    await h.restart();
    await h.rest.waitForCalls((call) => call.method === "PUT", 2);
    await h.gateway.roundTrip();
    expect(h.core.logLines.join("")).toContain("could not register the slash commands");
    expect(h.adapter.notReadyReason()).toBeNull();
  });
});

describe("sameCommands", () => {
  /** The commands as Discord returns them: with ids, a version and defaults added. */
  const asDiscordHasThem = (): Array<Record<string, unknown>> =>
    (JSON.parse(JSON.stringify(COMMANDS)) as Array<Record<string, unknown>>).map((command) => ({
      ...command,
      id: "1",
      application_id: "2",
      version: "3",
      default_member_permissions: null,
      nsfw: false,
    }));

  it("ignores what Discord adds (ids, versions, defaults) and the order", () => {
    expect(sameCommands(asDiscordHasThem(), COMMANDS)).toBe(true);
    expect(sameCommands(asDiscordHasThem().reverse(), COMMANDS)).toBe(true);
  });

  it("sees a missing, an extra or a changed command", () => {
    expect(sameCommands([], COMMANDS)).toBe(false);
    expect(sameCommands(asDiscordHasThem().slice(1), COMMANDS)).toBe(false);
    expect(sameCommands([...asDiscordHasThem(), { name: "old", description: "gone" }], COMMANDS)).toBe(false);
    const changed = asDiscordHasThem();
    changed[0] = { ...changed[0], description: "Something else" };
    expect(sameCommands(changed, COMMANDS)).toBe(false);
    const noContexts = asDiscordHasThem().map(({ contexts: _, ...rest }) => rest);
    expect(sameCommands(noContexts, COMMANDS)).toBe(false);
  });
});
