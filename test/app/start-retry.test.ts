import { afterEach, describe, expect, it, vi } from "vitest";
import { type RunningApp, startApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { memoryLogger } from "../support/core.js";
import { closedPort } from "../support/ports.js";

let app: RunningApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

describe("an adapter that cannot connect at start-up", () => {
  it("logs one line per try naming the variable, host and call, and /readyz says when it retries", async () => {
    const port = await closedPort();
    const { logger, lines } = memoryLogger("info");
    const config = loadConfig(
      { DISCORD_BOT_TOKEN: "abc.def.ghi-secret", DISCORD_API_URL: `http://127.0.0.1:${port}/api`, PORT: "0" },
      { envFile: null },
    );
    app = await startApp(config, { logger, terminal: null, onTerminalEnd: () => {}, host: "127.0.0.1" });
    const failure = `discord: could not reach DISCORD_API_URL (127.0.0.1:${port}) for GET /gateway/bot: ECONNREFUSED`;

    const errors = () =>
      lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.level === 50);
    await vi.waitFor(() => expect(errors().length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    const [first, second] = errors();
    expect(first).toEqual({
      level: 50,
      time: expect.any(Number),
      platform: "discord",
      retryInMs: expect.any(Number),
      msg: expect.stringMatching(new RegExp(`^${literal(failure)}; retrying in \\d+ s$`)),
    });
    expect(second?.msg).toMatch(/; retrying in \d+ s$/);
    expect(lines.join("")).not.toContain("abc.def.ghi-secret");

    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    const { reasons } = (await ready.json()) as { reasons: string[] };
    expect(reasons).toContainEqual(
      expect.stringMatching(new RegExp(`^${literal(failure)}; retrying (in \\d+ s|now)$`)),
    );
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
