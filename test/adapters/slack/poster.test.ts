import { Agent } from "undici";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { createSlackCaller, SlackNetworkError, SlackTimeout } from "../../../adapters/slack/api.js";
import { registerSlackMetrics } from "../../../adapters/slack/metrics.js";
import { HangBudget, SlackPoster } from "../../../adapters/slack/poster.js";
import { RepliesPace } from "../../../adapters/slack/replies-pace.js";
import { Metrics } from "../../../src/metrics.js";
import { memoryLogger } from "../../support/core.js";
import { closedPort } from "../../support/ports.js";
import { type RunningSlackApi, startSlackApi } from "../../support/slack-api.js";

const TOKEN = "xoxb-poster-test-token";
let api: RunningSlackApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const NEVER = new AbortController().signal;

/** One pool for the file's callers (as the adapter has one). */
const pool = new Agent();
afterAll(() => pool.close());

function poster(apiUrl: string, reported: string[] = []) {
  const metrics = new Metrics();
  const { logger } = memoryLogger("silent");
  return {
    metrics,
    poster: new SlackPoster({
      call: createSlackCaller({ apiUrl, token: TOKEN, dispatcher: pool }),
      logger,
      metrics: registerSlackMetrics(metrics),
      onCredentialError: (code) => reported.push(code),
      attemptTimeoutMs: 500,
      replies: new RepliesPace({ perMinute: 50 }),
      random: () => 0,
    }),
  };
}

describe("SlackPoster", () => {
  test("a refused connection (the request never left) is retried until Slack is there", async () => {
    const port = await closedPort();
    const { poster: p, metrics } = poster(`http://127.0.0.1:${port}/api/`);
    const posting = p.post(
      { channel: "C1", thread: "1.000001" },
      { text: "hello" },
      { key: "k:0", budget: new HangBudget(5_000), signal: NEVER },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    api = await startSlackApi({ botToken: TOKEN, port });
    expect(await posting).toBe("posted");
    expect(api.messages.map((m) => m.text)).toEqual(["hello"]);
    const metric = metrics.registry.getSingleMetric("bridge_slack_post_retries_total");
    const retries = ((await metric?.get())?.values ?? []).find((v) => v.labels.reason === "never_sent");
    expect(retries?.value).toBeGreaterThanOrEqual(1);
  });

  test("a post that cannot be made within the reply's hang budget rejects when it runs out", async () => {
    const port = await closedPort();
    const { poster: p } = poster(`http://127.0.0.1:${port}/api/`);
    const started = performance.now();
    await expect(
      p.post(
        { channel: "C1", thread: "1.000001" },
        { text: "x" },
        { key: "k", budget: new HangBudget(400), signal: NEVER },
      ),
    ).rejects.toThrow(/hang budget ran out/);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  test("reports the token's credential errors, and rejects without a retry", async () => {
    api = await startSlackApi({ botToken: TOKEN });
    const reported: string[] = [];
    const { poster: p } = poster(api.url, reported);
    api.fail("chat.postMessage", "token_revoked", 5);
    await expect(
      p.post(
        { channel: "C1", thread: null },
        { text: "x" },
        { key: "k", budget: new HangBudget(2_000), signal: NEVER },
      ),
    ).rejects.toThrow(/token_revoked/);
    expect(reported).toEqual(["token_revoked"]);
    expect(api.callsTo("chat.postMessage")).toHaveLength(1);
  });

  test("tells its own timeout apart from a caller's cancellation", async () => {
    api = await startSlackApi({ botToken: TOKEN });
    api.hold("chat.postMessage");
    const call = createSlackCaller({ apiUrl: api.url, token: TOKEN, dispatcher: pool });
    const timeout = new AbortController();
    setTimeout(() => timeout.abort(new SlackTimeout()), 50);
    const error = await call("chat.postMessage", { channel: "C1", text: "x" }, timeout.signal).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(SlackNetworkError);
    expect((error as SlackNetworkError).failure).toBe("timeout");
    expect((error as SlackNetworkError).neverSent).toBe(false);
    api.releaseHolds();
  });
});
