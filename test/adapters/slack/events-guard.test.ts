import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { describe, expect, test } from "vitest";
import { MAX_BODY_BYTES } from "../../../adapters/slack/http-guard.js";
import { envelope, mentionEvent, postSigned } from "../../support/slack-events.js";
import { SIGNING_SECRET, useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();

async function rejected(h: Awaited<ReturnType<typeof start>>, reason: string): Promise<number> {
  const metric = h.core.metrics.registry.getSingleMetric("bridge_slack_requests_rejected_total");
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** Posts raw bytes with Slack's headers, signed unless `signature` is given. */
function sign(raw: string, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac("sha256", SIGNING_SECRET).update(`v0:${timestamp}:${raw}`).digest("hex")}`;
  return { "x-slack-request-timestamp": String(timestamp), "x-slack-signature": signature };
}

/** Opens a POST, sends its headers and `first` bytes of the body, and keeps it open. */
function openRequest(url: string, headers: Record<string, string | number>, first: string) {
  const request = httpRequest(url, { method: "POST", headers });
  const status = new Promise<number>((resolve) => {
    request.on("response", (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", () => resolve(-1));
  });
  request.write(first);
  return { request, status };
}

const timed = async <T>(work: () => Promise<T>) => {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
};

describe("/slack/events refuses what no real Slack payload looks like", () => {
  test("a Content-Length over the limit is refused with 413 before anything is read", async () => {
    const h = await start();
    const { request, status } = openRequest(
      h.eventsUrl,
      { "content-type": "application/json", "content-length": 4 * 1024 * 1024, ...sign("x") },
      "{",
    );
    expect(await status).toBe(413);
    request.destroy();
    expect(await rejected(h, "too_large")).toBe(1);
  });

  test("a chunked body is refused as soon as it passes the limit, before it ends", async () => {
    const h = await start();
    const { request, status } = openRequest(
      h.eventsUrl,
      { "content-type": "application/json", "transfer-encoding": "chunked", ...sign("x") },
      "[",
    );
    const chunk = "x".repeat(64 * 1024);
    for (let sent = 0; sent <= MAX_BODY_BYTES; sent += chunk.length) request.write(chunk);
    expect(await status).toBe(413);
    request.destroy();
  });

  test("bounds how many bodies are read at once: the next is answered 503 at once", async () => {
    const h = await start({ adapter: { events: { maxConcurrentReads: 2 } } });
    const raw = JSON.stringify(envelope(mentionEvent({ text: "<@U0BOT> slow body" })));
    const headers = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(raw),
      ...sign(raw),
    };
    const slow = [
      openRequest(h.eventsUrl, headers, raw.slice(0, 5)),
      openRequest(h.eventsUrl, headers, raw.slice(0, 5)),
    ];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await timed(() =>
      postSigned(h.eventsUrl, envelope(mentionEvent()), { secret: SIGNING_SECRET }),
    );
    expect(third.value.status).toBe(503);
    expect(third.ms).toBeLessThan(1_500);
    for (const { request } of slow) request.end(raw.slice(5));
    expect(await Promise.all(slow.map((s) => s.status))).toEqual([200, 200]);
    // The slots are free again.
    expect((await postSigned(h.eventsUrl, envelope(mentionEvent()), { secret: SIGNING_SECRET })).status).toBe(
      200,
    );
  });

  test("a body that stalls is refused after the read timeout and its slot is freed", async () => {
    const h = await start({ adapter: { events: { readTimeoutMs: 200, maxConcurrentReads: 1 } } });
    const raw = JSON.stringify(envelope(mentionEvent()));
    const stalled = openRequest(
      h.eventsUrl,
      { "content-type": "application/json", "content-length": Buffer.byteLength(raw), ...sign(raw) },
      raw.slice(0, 5),
    );
    expect(await stalled.status).toBe(408);
    expect((await postSigned(h.eventsUrl, envelope(mentionEvent()), { secret: SIGNING_SECRET })).status).toBe(
      200,
    );
  });

  test.each([
    ["10 minutes ahead", 10 * 60],
    ["a year ahead", 365 * 24 * 3600],
  ])("a signed request stamped %s is refused", async (_label, aheadS) => {
    const h = await start();
    const response = await postSigned(
      h.eventsUrl,
      envelope(mentionEvent({ text: "<@U0BOT> from the future" })),
      {
        secret: SIGNING_SECRET,
        timestamp: Math.floor(Date.now() / 1000) + aheadS,
      },
    );
    expect(response.status).toBe(401);
    expect(h.submitted).toEqual([]);
    expect(await rejected(h, "future")).toBe(1);
  });

  test("rejected requests are counted, but logged only now and then", async () => {
    const h = await start();
    const body = envelope(mentionEvent());
    for (let i = 0; i < 30; i++) {
      expect((await postSigned(h.eventsUrl, body, { secret: "forged" })).status).toBe(401);
    }
    expect(await rejected(h, "bad_signature")).toBe(30);
    const lines = h.core.logLines.filter((l) => l.includes("request refused"));
    expect(lines.length).toBeLessThanOrEqual(2);
  });
});

describe("/slack/events answers odd signed payloads at once", () => {
  test.each([
    ["null", null],
    ["an array", [1, 2]],
    ["a number", 42],
    ["a string", "hello"],
    ["an object without a type", { team_id: "T0TEAM" }],
    ["an event_callback without its event", { type: "event_callback", team_id: "T0TEAM" }],
    ["an event_callback whose event is not an object", { type: "event_callback", event: "nonsense" }],
  ])("%s: 400 at once", async (_label, body) => {
    const h = await start();
    const { value, ms } = await timed(() => postSigned(h.eventsUrl, body, { secret: SIGNING_SECRET }));
    expect(value.status).toBe(400);
    // Well under the 3 s after which Bolt would answer an unacknowledged request 404.
    expect(ms).toBeLessThan(1_500);
    expect(await rejected(h, "malformed")).toBe(1);
  });

  test("a signed body that is not JSON: 400 at once", async () => {
    const h = await start();
    const raw = "{not json";
    const response = await fetch(h.eventsUrl, {
      method: "POST",
      headers: { "content-type": "application/json", ...sign(raw) },
      body: raw,
    });
    expect(response.status).toBe(400);
  });

  test.each([
    ["an unknown payload type", { type: "something_new", team_id: "T0TEAM" }],
    [
      "an event the bridge does not use",
      envelope({ type: "reaction_added", user: "U0ANA", reaction: "tada" }),
    ],
    ["an event of a type Bolt does not know", envelope({ type: "brand_new_event" })],
  ])("%s: 200 at once, nothing handed over", async (_label, body) => {
    const h = await start();
    const { value, ms } = await timed(() => postSigned(h.eventsUrl, body, { secret: SIGNING_SECRET }));
    expect(value.status).toBe(200);
    // Well under the 3 s after which Bolt would answer an unacknowledged request 404.
    expect(ms).toBeLessThan(1_500);
    expect(h.submitted).toEqual([]);
  });

  test("app_rate_limited (no inner event): 200 at once and a warning", async () => {
    const h = await start();
    const body = {
      token: "x",
      type: "app_rate_limited",
      team_id: "T0TEAM",
      minute_rate_limited: 1518467820,
      api_app_id: "A0APP",
    };
    const { value, ms } = await timed(() => postSigned(h.eventsUrl, body, { secret: SIGNING_SECRET }));
    expect(value.status).toBe(200);
    // Well under the 3 s after which Bolt would answer an unacknowledged request 404.
    expect(ms).toBeLessThan(1_500);
    const warning = h.core.logLines.find((l) => l.includes("30,000 events"));
    expect(warning).toContain('"level":40');
  });

  test("a real mention still reaches the core through Bolt, read once", async () => {
    const h = await start();
    expect(await h.deliver(mentionEvent({ text: "<@U0BOT> through the guard" }))).toBe(200);
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["through the guard"]);
  });
});
