import { afterEach, describe, expect, it } from "vitest";
import { type RunningApp, startApp } from "../../src/app.js";
import { memoryLogger } from "../support/core.js";
import { envelope, mentionEvent, postSigned } from "../support/slack-events.js";
import { type Backends, METRICS_TOKEN, SIGNING_SECRET, startBackends } from "./support.js";

let backends: Backends | undefined;
let app: RunningApp | undefined;
afterEach(async () => {
  await app?.stop();
  await backends?.close();
  app = undefined;
  backends = undefined;
});

const get = (url: string, token?: string) =>
  fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});

async function metricValue(url: string, line: string): Promise<number> {
  const text = await (await get(`${url}/metrics`, METRICS_TOKEN)).text();
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

describe("the whole bridge in one process", () => {
  it("is ready only once Slack has connected, and healthy all along", async () => {
    backends = await startBackends();
    const release = backends.slack.hold("auth.test");
    const { logger } = memoryLogger("silent");
    app = await startApp(backends.config({ SHUTDOWN_GRACE_MS: "1000" }), {
      logger,
      terminal: null,
      onTerminalEnd: () => {},
      host: "127.0.0.1",
    });
    const url = app.url ?? "";

    expect((await get(`${url}/healthz`)).status).toBe(200);
    const before = await get(`${url}/readyz`);
    expect(before.status).toBe(503);
    expect(((await before.json()) as { reasons: string[] }).reasons.join(" ")).toMatch(/slack/i);

    release();
    await app.started;
    const after = await get(`${url}/readyz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ ready: true, reasons: [] });
  });

  it("answers a Slack mention end to end, and the metrics follow", async () => {
    backends = await startBackends();
    const { logger } = memoryLogger("silent");
    app = await startApp(backends.config(), {
      logger,
      terminal: null,
      onTerminalEnd: () => {},
      host: "127.0.0.1",
    });
    await app.started;
    const url = app.url ?? "";
    expect(await metricValue(url, 'bridge_messages_received_total{platform="slack"}')).toBe(0);

    const delivered = await postSigned(`${url}/slack/events`, envelope(mentionEvent()), {
      secret: SIGNING_SECRET,
    });
    expect(delivered.status).toBe(200);
    await backends.slack.waitFor("chat.postMessage", 1);

    expect(await metricValue(url, 'bridge_messages_received_total{platform="slack"}')).toBe(1);
    expect(await metricValue(url, 'bridge_assistant_calls_total{outcome="answer"}')).toBe(1);
    expect(await metricValue(url, 'bridge_replies_posted_total{platform="slack",kind="answer"}')).toBe(1);
    expect(await metricValue(url, "bridge_assistant_latency_seconds_count")).toBe(1);
    expect(await metricValue(url, "bridge_queue_depth")).toBe(0);
    expect((await get(`${url}/metrics`)).status).toBe(401);
  });

  it("leaves no token or secret in the logs of a whole run at debug level", async () => {
    backends = await startBackends();
    const secrets = [
      backends.env.SLACK_BOT_TOKEN ?? "",
      backends.env.SLACK_SIGNING_SECRET ?? "",
      backends.env.TWILIO_AUTH_TOKEN ?? "",
      METRICS_TOKEN,
    ];
    const config = backends.config();
    const { logger, lines } = memoryLogger("debug", config.secrets);
    app = await startApp(config, { logger, terminal: null, onTerminalEnd: () => {}, host: "127.0.0.1" });
    await app.started;
    const url = app.url ?? "";
    await postSigned(`${url}/slack/events`, envelope(mentionEvent({ text: "<@U0BOT> hello #fail" })), {
      secret: SIGNING_SECRET,
    });
    await postSigned(`${url}/slack/events`, envelope(mentionEvent()), { secret: "forged" });
    await backends.slack.waitFor("chat.postMessage", 1);
    await get(`${url}/metrics`, METRICS_TOKEN);
    await app.stop();

    const output = lines.join("");
    expect(lines.length).toBeGreaterThan(5);
    expect(output).toContain('"level":20'); // debug lines were written
    for (const secret of secrets) expect(output).not.toContain(secret);
  });
});
