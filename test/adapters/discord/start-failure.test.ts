import { describe, expect, it } from "vitest";
import { useDiscordHarness } from "../../support/discord-harness.js";
import { BOT_TOKEN } from "../../support/discord-ids.js";
import { closedPort } from "../../support/ports.js";

const start = useDiscordHarness();

describe("Discord start failures", () => {
  it("names DISCORD_API_URL, its host and the call when the API cannot be reached, in one line", async () => {
    const port = await closedPort();
    const h = await start({ start: false, config: { apiUrl: `http://127.0.0.1:${port}/api` } });
    const expected = `discord: could not reach DISCORD_API_URL (127.0.0.1:${port}) for GET /gateway/bot: ECONNREFUSED`;
    const failure = await h.adapter.start().catch((error: Error) => error);
    expect((failure as Error).message).toBe(expected);
    expect(h.adapter.notReadyReason()).toBe(expected);
  });

  it("says what the API answered when it answers with an error, never the token", async () => {
    const h = await start({ start: false });
    h.rest.override = () => ({ status: 403, body: { message: "Forbidden", code: 0 } });
    const failure = await h.adapter.start().catch((error: Error) => error);
    const host = new URL(h.rest.url).host;
    expect((failure as Error).message).toBe(
      `discord: GET /gateway/bot on DISCORD_API_URL (${host}) answered HTTP 403`,
    );
    expect((failure as Error).message).not.toContain(BOT_TOKEN);
  });
});
