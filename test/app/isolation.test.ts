import { afterEach, describe, expect, it } from "vitest";
import { type RunningApp, startApp } from "../../src/app.js";
import { memoryLogger } from "../support/core.js";
import { type DiscordGatewayDouble, startDiscordGateway } from "../support/discord-gateway.js";
import { testGuild } from "../support/discord-harness.js";
import { BOT_TOKEN as DISCORD_TOKEN, GUILD_ID } from "../support/discord-ids.js";
import { type DiscordRestDouble, startDiscordRest } from "../support/discord-rest.js";
import { envelope, mentionEvent, postSigned } from "../support/slack-events.js";
import { type Backends, SIGNING_SECRET, startBackends } from "./support.js";

let backends: Backends | undefined;
let gateway: DiscordGatewayDouble | undefined;
let rest: DiscordRestDouble | undefined;
let app: RunningApp | undefined;
afterEach(async () => {
  await app?.stop();
  await gateway?.close();
  await rest?.close();
  await backends?.close();
  app = undefined;
});

describe("adapters fail alone", () => {
  it("keeps answering on Slack while Discord cannot connect, and brings Discord up when it can", async () => {
    backends = await startBackends();
    gateway = await startDiscordGateway({ guilds: [testGuild()], heartbeatIntervalMs: 3_600_000 });
    const discordRest = await startDiscordRest({ guildId: GUILD_ID, gatewayUrl: () => gateway?.url ?? "" });
    rest = discordRest;
    let refusals = 2;
    discordRest.override = (call) => {
      if (call.path.endsWith("/gateway/bot") && refusals > 0) {
        refusals--;
        return { status: 401, body: { message: "401: Unauthorized", code: 0 } };
      }
      return undefined;
    };
    const { logger, lines } = memoryLogger("info");
    app = await startApp(
      backends.config({ DISCORD_BOT_TOKEN: DISCORD_TOKEN, DISCORD_API_URL: discordRest.url }),
      {
        logger,
        terminal: null,
        onTerminalEnd: () => {},
        host: "127.0.0.1",
      },
    );
    const url = app.url ?? "";
    const reasons = async () =>
      ((await (await fetch(`${url}/readyz`)).json()) as { reasons: string[] }).reasons;
    for (let i = 0; i < 100 && (await reasons()).some((reason) => reason.startsWith("slack")); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Discord is still refused (two refusals and their back-off take longer than this).
    expect((await reasons()).filter((reason) => !reason.startsWith("discord"))).toEqual([]);
    expect((await reasons()).some((reason) => reason.startsWith("discord"))).toBe(true);

    const sent = await postSigned(`${url}/slack/events`, envelope(mentionEvent()), {
      secret: SIGNING_SECRET,
    });
    expect(sent.status).toBe(200);
    const [answer] = await backends.slack.waitFor("chat.postMessage", 1);
    expect(answer?.args.text).toContain("You said");

    await app.started;
    expect(refusals).toBe(0);
    // One line per refused try, saying what to fix and when the next try is.
    const tries = lines.filter((line) => line.includes("retrying in"));
    expect(tries).toHaveLength(2);
    for (const line of tries)
      expect(line).toMatch(/discord: the bot token was refused; check DISCORD_BOT_TOKEN; retrying in \d+ s/);
    const ready = await fetch(`${url}/readyz`);
    expect(await ready.json()).toEqual({ ready: true, reasons: [] });
  });
});
