import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { describe, expect, test } from "vitest";
import {
  BOT_ID,
  BOT_USER,
  envelope,
  mentionEvent,
  messageEvent,
  nextTs,
  postSigned,
} from "../../support/slack-events.js";
import { SIGNING_SECRET, useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();

describe("Slack delivery: exactly once, signed, only questions", () => {
  test("a retried delivery (X-Slack-Retry-Num) causes one assistant call and one answer", async () => {
    const h = await start({ core: { simulator: { latencyMs: 20 } } });
    const event = mentionEvent({ text: "<@U0BOT> once please" });
    expect(await h.deliver(event, { eventId: "Ev1" })).toBe(200);
    expect(await h.deliver(event, { eventId: "Ev1", retryNum: 1, retryReason: "http_timeout" })).toBe(200);
    await h.api.waitFor("chat.postMessage", 1);
    expect(await h.deliver(event, { eventId: "Ev1", retryNum: 2 })).toBe(200);
    expect(h.submitted.map((s) => s.result)).toEqual(["queued", "duplicate", "duplicate"]);
    expect(h.core.simulator.received).toHaveLength(1);
    expect(h.posted()).toHaveLength(1);
  });

  test("an app_mention and its message twin cause one assistant call", async () => {
    const h = await start();
    const ts = nextTs();
    const text = "<@U0BOT> twin question";
    expect(await h.deliver(mentionEvent({ ts, text }), { eventId: "EvMention" })).toBe(200);
    expect(await h.deliver(messageEvent({ ts, text }), { eventId: "EvMessage" })).toBe(200);
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.core.simulator.received).toHaveLength(1);
    expect(h.submitted.map((s) => s.result)).toEqual(["queued", "duplicate"]);
  });

  test("the message twin alone (its app_mention lost) is answered", async () => {
    const h = await start();
    const ts = nextTs();
    await h.deliver(messageEvent({ ts, text: "<@U0BOT> only the twin came" }));
    const [post] = await h.api.waitFor("chat.postMessage", 1);
    expect(post?.args.thread_ts).toBe(ts);
    expect(h.core.simulator.received[0]?.body).toBe("only the twin came");
  });

  test("a retry whose original never arrived is answered", async () => {
    const h = await start();
    expect(await h.deliver(mentionEvent({ text: "<@U0BOT> lost first copy" }), { retryNum: 2 })).toBe(200);
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["lost first copy"]);
  });

  test("a bad signature gets 401 and no assistant call", async () => {
    const h = await start();
    const body = envelope(mentionEvent({ text: "<@U0BOT> forged" }));
    const forged = await postSigned(h.eventsUrl, body, { secret: "not-the-signing-secret" });
    const garbage = await postSigned(h.eventsUrl, body, { secret: SIGNING_SECRET, signature: "v0=00" });
    expect([forged.status, garbage.status]).toEqual([401, 401]);
    expect(h.submitted).toEqual([]);
    expect(h.core.simulator.received).toEqual([]);
  });

  test("a correctly signed but 6-minute-old request gets 401 and no assistant call", async () => {
    const h = await start();
    const body = envelope(mentionEvent({ text: "<@U0BOT> replayed" }));
    const stale = await postSigned(h.eventsUrl, body, {
      secret: SIGNING_SECRET,
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(stale.status).toBe(401);
    // The same body signed now is accepted: the 401 was about the age alone.
    expect((await postSigned(h.eventsUrl, body, { secret: SIGNING_SECRET })).status).toBe(200);
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.core.simulator.received).toHaveLength(1);
  });

  test("URL verification is answered with the challenge", async () => {
    const h = await start();
    const response = await postSigned(
      h.eventsUrl,
      { token: "x", challenge: "challenge-123", type: "url_verification" },
      { secret: SIGNING_SECRET },
    );
    expect(response.status).toBe(200);
    expect(response.text).toContain("challenge-123");
  });

  test("bot messages, the bot's own, edits, deletions and joins cause no call", async () => {
    const h = await start();
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> open the thread" }));
    await h.api.waitFor("chat.postMessage", 1);
    const inThread = { thread_ts: root };
    const ignored = [
      mentionEvent({ ...inThread, bot_id: "B0OTHER", text: "<@U0BOT> from another bot" }),
      messageEvent({ ...inThread, subtype: "bot_message", bot_id: "B0OTHER", text: "bot says" }),
      messageEvent({ ...inThread, user: BOT_USER, bot_id: BOT_ID, text: "the bot's own answer" }),
      messageEvent({ ...inThread, subtype: "message_changed", message: { text: "edited" } }),
      messageEvent({ ...inThread, subtype: "message_deleted", deleted_ts: root }),
      messageEvent({ subtype: "channel_join", text: "<@U0ANA> has joined the channel" }),
      messageEvent({ channel_type: "im", channel: "D0ANA", subtype: "message_changed" }),
    ];
    for (const event of ignored) expect(await h.deliver(event)).toBe(200);
    expect(h.submitted).toHaveLength(1);
    expect(h.core.simulator.received).toHaveLength(1);
    expect(h.posted()).toHaveLength(1);
  });

  test("malformed events are skipped without a crash, and the next message still works", async () => {
    const h = await start();
    const malformed = [
      { ...mentionEvent(), user: undefined },
      { ...mentionEvent(), user: 12 },
      { ...mentionEvent(), channel: undefined },
      { ...mentionEvent(), ts: undefined },
      { ...mentionEvent(), ts: 17.5 },
      { ...mentionEvent(), thread_ts: { bad: true } },
      { ...mentionEvent(), text: ["not", "text"] },
    ];
    for (const event of malformed) expect(await h.deliver(event)).toBe(200);
    const weird = await postSigned(
      h.eventsUrl,
      { type: "event_callback", team_id: "T0TEAM", event: "nonsense" },
      { secret: SIGNING_SECRET },
    );
    // A signed but malformed envelope is refused at once, before Bolt (which would throw on it).
    expect(weird.status).toBe(400);
    expect(h.submitted).toEqual([]);

    await h.deliver(mentionEvent({ text: "<@U0BOT> still here?" }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["still here?"]);
  });

  test("after stopIntake, events get 503 before Bolt acknowledges them, and reach no one", async () => {
    const h = await start({ core: { simulator: { latencyMs: 50 } } });
    await h.deliver(mentionEvent({ text: "<@U0BOT> before the stop" }));
    await h.adapter.stopIntake();
    expect(h.adapter.notReadyReason()).toMatch(/no longer taking/);
    expect(await h.deliver(mentionEvent({ text: "<@U0BOT> after the stop" }))).toBe(503);
    // The message taken before the stop is still answered during the drain.
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["before the stop"]);
    expect(h.submitted).toHaveLength(1);
  });

  test("an event already arriving when stopIntake runs is answered 503 too, not acknowledged", async () => {
    const h = await start();
    const raw = JSON.stringify(envelope(mentionEvent({ text: "<@U0BOT> in flight" })));
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac("sha256", SIGNING_SECRET).update(`v0:${timestamp}:${raw}`).digest("hex")}`;
    const entered = h.nextRequest();
    const request = httpRequest(h.eventsUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(raw),
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": signature,
      },
    });
    const status = new Promise<number>((resolve, reject) => {
      request.on("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
    });
    // Headers first: the request is past the route's gate and inside Bolt, reading its body.
    request.write(raw.slice(0, 10));
    await entered;
    await h.adapter.stopIntake();
    request.end(raw.slice(10));
    expect(await status).toBe(503);
    expect(h.submitted).toEqual([]);
    expect(h.core.simulator.received).toEqual([]);
  });

  test("only POST is served on the events path", async () => {
    const h = await start();
    const response = await fetch(h.eventsUrl);
    expect(response.status).toBe(405);
  });

  test("is ready once auth.test succeeded", async () => {
    const h = await start();
    expect(h.adapter.notReadyReason()).toBeNull();
    expect(h.api.callsTo("auth.test")).toHaveLength(1);
  });
});
