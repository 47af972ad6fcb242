import { Writable } from "node:stream";
import { GatewayIntentBits } from "discord.js";
import { describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../src/logger.js";
import { type DiscordHarness, useDiscordHarness } from "../../support/discord-harness.js";
import { BOT_TOKEN, DM_CHANNEL_ID, OTHER_DM_CHANNEL_ID, OTHER_USER } from "../../support/discord-ids.js";

const start = useDiscordHarness();

const identifies = (h: DiscordHarness) => h.gateway.received.filter((p) => p.op === 2);

describe("Discord gateway connection", () => {
  it("identifies with exactly the intents it needs and is ready once connected", async () => {
    const h = await start();
    const [identify] = identifies(h);
    const intents = Number((identify?.d as { intents?: number } | undefined)?.intents);
    expect(intents).toBe(
      GatewayIntentBits.Guilds |
        GatewayIntentBits.GuildMessages |
        GatewayIntentBits.DirectMessages |
        GatewayIntentBits.MessageContent,
    );
    expect(h.adapter.notReadyReason()).toBeNull();
    expect(h.adapter.routes.size).toBe(0);
    // The gateway URL came from GET /gateway/bot on DISCORD_API_URL.
    expect(h.rest.calls[0]).toMatchObject({ method: "GET", path: "/gateway/bot" });
  });

  it("reconnects after the gateway closes the connection and answers the next DM", async () => {
    const h = await start();
    h.dm("before the drop");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);

    h.gateway.dropConnection(4000);
    await vi.waitFor(() => expect(h.adapter.notReadyReason()).toBe("discord: gateway reconnecting"));
    await h.gateway.waitForSessions(2);
    await vi.waitFor(() => expect(h.adapter.notReadyReason()).toBeNull());
    // It resumed the same session rather than identifying again.
    expect(h.gateway.received.filter((p) => p.op === 6)).toHaveLength(1);
    expect(identifies(h)).toHaveLength(1);
    expect(h.gateway.connections).toBe(2);

    h.dm("after the drop");
    const answers = await h.rest.messagesIn(DM_CHANNEL_ID, 2);
    expect(answers[1]?.content).toContain("You said: “after the drop”");
    expect(answers[1]?.content).toContain("This is message 2 of our conversation");
  });

  it("still posts an answer that was pending while the gateway reconnects", async () => {
    const h = await start({
      core: { simulator: { script: () => ({ kind: "answer", body: "Worth the wait.", delayMs: 300 }) } },
    });
    h.dm("slow one");
    await h.rest.waitForCalls((c) => c.path.endsWith("/typing"), 1);
    h.gateway.dropConnection(4000);
    const [answer] = await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    expect(answer?.content).toBe("Worth the wait.");
  });

  it("says what to switch on when Discord refuses the Message Content intent", async () => {
    const harness = await start({ start: false, onIdentify: () => ({ closeCode: 4014 }) });
    await expect(harness.adapter.start()).rejects.toThrow(/Message Content intent/);
    expect(harness.adapter.notReadyReason()).not.toBeNull();
  });

  it("says the token was refused when Discord answers 401", async () => {
    const harness = await start({ start: false });
    harness.rest.override = () => ({ status: 401, body: { message: "401: Unauthorized", code: 0 } });
    const failure = harness.adapter.start();
    await expect(failure).rejects.toThrow(/DISCORD_BOT_TOKEN/);
    await expect(failure).rejects.not.toThrow(BOT_TOKEN);
  });

  it("never logs the token, even at trace level", async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "trace",
      pretty: false,
      secrets: [], // no scrubbing: the adapter itself must not write it
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const h = await start({ logger });
    h.dm("hello");
    await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    h.gateway.dropConnection(4000);
    await h.gateway.waitForSessions(2);
    expect(lines.length).toBeGreaterThan(10);
    const secretPart = BOT_TOKEN.split(".").at(-1) ?? BOT_TOKEN;
    expect(lines.filter((line) => line.includes(secretPart))).toEqual([]);
  });
});

describe("Discord shutdown", () => {
  it("stops taking messages at stopIntake but still posts the answers it owes", async () => {
    const h = await start({
      core: { simulator: { script: () => ({ kind: "answer", body: "Last answer.", delayMs: 200 }) } },
    });
    h.dm("taken before the stop");
    await h.rest.waitForCalls((c) => c.path.endsWith("/typing"), 1);
    await h.adapter.stopIntake();
    expect(h.adapter.notReadyReason()).toMatch(/not taking messages/);
    // Another DM channel, so nothing would queue it behind the first answer.
    h.dm("sent after the stop", { author: OTHER_USER, channelId: OTHER_DM_CHANNEL_ID });
    await h.gateway.roundTrip();

    const [answer] = await h.rest.messagesIn(DM_CHANNEL_ID, 1);
    expect(answer?.content).toBe("Last answer.");
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["taken before the stop"]);
    expect(h.rest.calls.filter((c) => c.path.startsWith(`/channels/${OTHER_DM_CHANNEL_ID}/`))).toEqual([]);
    await h.adapter.close();
    expect(h.adapter.notReadyReason()).not.toBeNull();
  });
});
