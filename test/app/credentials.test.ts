import { afterEach, describe, expect, it } from "vitest";
import { type RunningApp, startApp } from "../../src/app.js";
import { memoryLogger } from "../support/core.js";
import { envelope, mentionEvent, postSigned } from "../support/slack-events.js";
import { type Backends, SIGNING_SECRET, startBackends } from "./support.js";

let backends: Backends | undefined;
let app: RunningApp | undefined;
afterEach(async () => {
  await app?.stop();
  await backends?.close();
  app = undefined;
  backends = undefined;
});

async function start(extra: Record<string, string> = {}): Promise<string> {
  backends = await startBackends();
  const { logger } = memoryLogger("silent");
  app = await startApp(backends.config({ SHUTDOWN_GRACE_MS: "1000", ...extra }), {
    logger,
    terminal: null,
    onTerminalEnd: () => {},
    host: "127.0.0.1",
  });
  await app.started;
  return app.url ?? "";
}

async function readiness(url: string): Promise<{ status: number; reasons: string[] }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, reasons: ((await response.json()) as { reasons: string[] }).reasons };
}

describe("credentials that stop working, seen from /readyz", () => {
  it("Twilio 401: users are told the assistant is unavailable and /readyz names its credentials", async () => {
    const url = await start({ TWILIO_AUTH_TOKEN: "not-the-right-auth-token" });
    expect((await readiness(url)).status).toBe(200);
    await postSigned(`${url}/slack/events`, envelope(mentionEvent({ text: "<@U0BOT> hello?" })), {
      secret: SIGNING_SECRET,
    });
    const [post] = (await backends?.slack.waitFor("chat.postMessage", 1)) ?? [];
    expect(post?.args.text).toMatch(/^Sorry, the assistant is unavailable/);
    const ready = await readiness(url);
    expect(ready.status).toBe(503);
    expect(ready.reasons).toEqual([
      expect.stringMatching(/^assistant: Twilio refused the credentials \(HTTP 401\)/),
    ]);
    const metrics = await app?.metrics.assistantCalls.get();
    expect(metrics?.values.find((v) => v.labels.outcome === "unauthorized")?.value).toBe(1);
  });

  it("Slack app_uninstalled: /readyz answers 503 naming the cause", async () => {
    const url = await start();
    const delivered = await postSigned(`${url}/slack/events`, envelope({ type: "app_uninstalled" }), {
      secret: SIGNING_SECRET,
    });
    expect(delivered.status).toBe(200);
    const ready = await readiness(url);
    expect(ready.status).toBe(503);
    expect(ready.reasons).toEqual([
      "slack: the bot token no longer works (app_uninstalled); reinstall the app or set a new SLACK_BOT_TOKEN",
    ]);
  });
});
