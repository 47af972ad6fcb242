import { describe, expect, test } from "vitest";
import { cutLine } from "../../../src/answer-cap.js";
import { longAnswer } from "../../../src/simulator/server.js";
import { mentionEvent, messageEvent, nextTs } from "../../support/slack-events.js";
import { type SlackHarnessOptions, useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();

/** Fast timings, so faults show within a test's time. */
const FAST = {
  hangBudgetMs: 3_000,
  posting: { attemptTimeoutMs: 300, checkDelayMs: 50 },
} satisfies SlackHarnessOptions["adapter"];

async function counter(h: Awaited<ReturnType<typeof start>>, name: string, labels: Record<string, string>) {
  const metric = (await h.core.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return metric.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

const until = async (check: () => boolean, timeoutMs = 5_000) => {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe("Slack posting: a timed-out post is never repeated blindly", () => {
  test("a post Slack carried out but answered late is looked up once, found, and not posted again", async () => {
    const h = await start({ adapter: FAST });
    h.api.answerLate(1, 4_000);
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> slow post" }));
    await h.api.waitFor("conversations.replies", 1);
    // The thread is free again long before Slack's late answer: the next question is answered.
    await h.deliver(mentionEvent({ thread_ts: root, text: "<@U0BOT> next one" }));
    await until(() => h.api.messages.length === 2, 2_000);
    expect(h.api.messages.map((m) => m.text)).toEqual([
      expect.stringContaining("slow post"),
      expect.stringContaining("next one"),
    ]);
    const [lookUp] = h.api.callsTo("conversations.replies");
    expect(lookUp?.args).toMatchObject({ channel: "C0GENERAL", ts: root, include_all_metadata: "true" });
    expect(await counter(h, "bridge_slack_post_errors_total", { error: "unconfirmed" })).toBe(0);
  });

  test("a 500 after the post was carried out is found by the look-up: posted once, not twice", async () => {
    const h = await start({ adapter: FAST });
    h.api.httpError("chat.postMessage", 500, 1, true);
    await h.deliver(mentionEvent({ text: "<@U0BOT> five hundred" }));
    await h.api.waitFor("conversations.replies", 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.api.messages).toHaveLength(1);
    expect(h.api.callsTo("chat.postMessage").map((c) => c.status)).toEqual([500]);
  });

  test("a 504 whose post the thread does not show is posted once more", async () => {
    const h = await start({ adapter: FAST });
    h.api.httpError("chat.postMessage", 504, 1, false);
    await h.deliver(mentionEvent({ text: "<@U0BOT> gateway timeout" }));
    await until(() => h.api.messages.length === 1);
    expect(h.api.callsTo("chat.postMessage").map((c) => c.status)).toEqual([504, 200]);
    expect(h.api.callsTo("conversations.replies")).toHaveLength(1);
  });

  test("look-ups wait for their turn at SLACK_LOOKUPS_PER_MINUTE instead of giving a post up", async () => {
    const h = await start({ adapter: FAST, slack: { lookupsPerMinute: 120 } });
    h.api.httpError("chat.postMessage", 500, 2, true);
    await h.deliver(mentionEvent({ channel: "C0ONE", text: "<@U0BOT> first" }));
    await h.api.waitFor("conversations.replies", 1);
    await h.deliver(mentionEvent({ channel: "C0TWO", text: "<@U0BOT> second" }));
    await h.api.waitFor("conversations.replies", 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.api.messages).toHaveLength(2);
    expect(h.api.callsTo("chat.postMessage")).toHaveLength(2);
    const [one, two] = h.api.callsTo("conversations.replies");
    expect([one?.args.channel, two?.args.channel]).toEqual(["C0ONE", "C0TWO"]);
    expect(await counter(h, "bridge_slack_post_errors_total", { error: "unconfirmed" })).toBe(0);
  });

  test("502 and 503 answers (nothing posted) are retried and the answer arrives once", async () => {
    const h = await start({ adapter: FAST });
    h.api.httpError("chat.postMessage", 503, 1);
    await h.deliver(mentionEvent({ text: "<@U0BOT> unavailable" }));
    await until(() => h.api.messages.length === 1);
    expect(h.api.callsTo("chat.postMessage").map((c) => c.status)).toEqual([503, 200]);
    expect(h.api.callsTo("conversations.replies")).toEqual([]);
    expect(await counter(h, "bridge_slack_post_retries_total", { reason: "http_503" })).toBe(1);
  });
});

describe("Slack posting: channels do not wait for each other", () => {
  test("one channel's 429 never holds another channel's reply", async () => {
    const h = await start({ adapter: FAST });
    h.api.rateLimitChannel("C0BUSY", 1, 3);
    await h.deliver(mentionEvent({ channel: "C0BUSY", text: "<@U0BOT> limited" }));
    await h.api.waitFor("chat.postMessage", 1);
    const asked = performance.now();
    await h.deliver(mentionEvent({ channel: "C0CALM", text: "<@U0BOT> not limited" }));
    await until(() => h.api.messages.some((m) => m.channel === "C0CALM"), 2_500);
    expect(performance.now() - asked).toBeLessThan(2_000);
    // The limited channel waits for its own Retry-After, then gets its answer once.
    await until(() => h.api.messages.some((m) => m.channel === "C0BUSY"), 5_000);
    expect(h.api.messages.filter((m) => m.channel === "C0BUSY")).toHaveLength(1);
  });

  test("a 429 holds every waiting post of its channel for Retry-After, and only them", async () => {
    const h = await start({ adapter: FAST });
    h.api.rateLimitChannel("C0GENERAL", 1, 1);
    await h.deliver(mentionEvent({ text: "<@U0BOT> first, limited" }));
    await h.api.waitFor("chat.postMessage", 1);
    const limitedAt = performance.now();
    await h.deliver(mentionEvent({ text: "<@U0BOT> second, same channel" }));
    await h.deliver(mentionEvent({ channel: "C0OTHER", text: "<@U0BOT> other channel" }));
    await until(() => h.api.messages.some((m) => m.channel === "C0OTHER"));
    expect(h.api.messages.filter((m) => m.channel === "C0GENERAL")).toEqual([]);
    await until(() => h.api.messages.filter((m) => m.channel === "C0GENERAL").length === 2, 3_000);
    expect(performance.now() - limitedAt).toBeGreaterThanOrEqual(900);
    // Only the limited post met the 429: the one that waited behind it was not refused again.
    expect(h.api.callsTo("chat.postMessage").filter((c) => c.status === 429)).toHaveLength(1);
  });

  test("100 hung posts in one channel do not delay a reply in another", async () => {
    const h = await start({
      adapter: { posting: { attemptTimeoutMs: 15_000 } },
      core: { queue: { maxPending: 500, maxPendingPerUser: 500, concurrency: 100, rateLimit: 1000 } },
    });
    h.api.holdChannel("C0HUNG");
    for (let i = 0; i < 100; i++) {
      await h.deliver(mentionEvent({ channel: "C0HUNG", user: `U0P${i}`, text: `<@U0BOT> hung ${i}` }));
    }
    await until(
      () =>
        h.api.calls.filter((c) => c.method === "chat.postMessage").length === 0 &&
        h.core.simulator.received.length === 100,
      10_000,
    );
    const asked = performance.now();
    await h.deliver(mentionEvent({ channel: "C0FREE", text: "<@U0BOT> unrelated" }));
    await until(() => h.api.messages.some((m) => m.channel === "C0FREE"), 5_000);
    expect(performance.now() - asked).toBeLessThan(2_000);
  });

  test("a hung post holds its thread until it is resolved: the next question comes after its answer", async () => {
    const h = await start({ adapter: { ...FAST, hangBudgetMs: 60_000 }, slack: { lookupsPerMinute: 600 } });
    const release = h.api.holdChannel("C0GENERAL");
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> hung first" }));
    await until(() => h.api.callsTo("conversations.replies").length >= 2);
    await h.deliver(mentionEvent({ thread_ts: root, text: "<@U0BOT> behind it" }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["hung first"]);
    release();
    await until(() => h.api.messages.length === 2);
    expect(h.api.messages.map((m) => m.text)).toEqual([
      expect.stringContaining("hung first"),
      expect.stringContaining("behind it"),
    ]);
  });
});

describe("Slack posting errors reach the person where they can", () => {
  test("not_in_channel: the answer goes to the person by DM with a line saying why, and is counted", async () => {
    const h = await start({ adapter: FAST });
    h.api.failChannel("C0LEFT", "not_in_channel");
    await h.deliver(mentionEvent({ channel: "C0LEFT", user: "U0ANA", text: "<@U0BOT> are you there?" }));
    await until(() => h.api.messages.length === 2);
    const [notice, answer] = h.api.messages;
    expect(notice).toMatchObject({ channel: "U0ANA", thread_ts: undefined });
    expect(notice?.text).toBe(
      "I couldn't post my answer in <#C0LEFT> because I'm not a member of that channel any more (add me again with /invite). Here it is:",
    );
    expect(answer?.channel).toBe("U0ANA");
    expect(answer?.text).toContain("are you there?");
    expect(await counter(h, "bridge_slack_post_errors_total", { error: "not_in_channel" })).toBe(1);
    expect(await counter(h, "bridge_slack_fallback_notices_total", { via: "dm" })).toBe(1);
    expect(h.core.logLines.some((l) => l.includes("by DM") && l.includes('"requestId"'))).toBe(true);
  });

  test("is_archived takes the same way", async () => {
    const h = await start({ adapter: FAST });
    h.api.failChannel("C0OLD", "is_archived");
    await h.deliver(mentionEvent({ channel: "C0OLD", text: "<@U0BOT> archived?" }));
    await until(() => h.api.messages.length === 2);
    expect(h.api.messages[0]?.text).toContain("that channel is archived");
  });

  test("a refusal in the person's own DM is logged with the request id and counted", async () => {
    const h = await start({ adapter: FAST });
    h.api.failChannel("D0ANA", "channel_not_found");
    await h.deliver(messageEvent({ channel: "D0ANA", channel_type: "im", text: "hello there" }));
    await until(() => h.core.logLines.some((l) => l.includes("could not post the reply")));
    expect(h.api.messages).toEqual([]);
    expect(await counter(h, "bridge_slack_post_errors_total", { error: "channel_not_found" })).toBe(1);
    expect(await counter(h, "bridge_reply_errors_total", { platform: "slack" })).toBe(1);
    const line = h.core.logLines.find((l) => l.includes("could not post the reply")) ?? "";
    expect(line).toMatch(/"requestId":"[0-9a-f-]{36}"/);
  });

  test("msg_too_long: the message is sent again as shorter ones, nothing lost", async () => {
    const h = await start({ adapter: FAST });
    h.api.maxTextChars(2_500);
    await h.deliver(mentionEvent({ text: "<@U0BOT> long #long=3000" }));
    await until(() => h.core.logLines.some((l) => l.includes("sent it shorter")));
    const texts = h.api.messages.map((m) => m.text);
    expect(texts.length).toBeGreaterThanOrEqual(2);
    expect(texts.every((t) => t.length <= 2_500)).toBe(true);
    expect(texts.join(" ")).toContain("Paragraph 1.");
    expect(await counter(h, "bridge_slack_fallback_notices_total", { via: "shorter" })).toBe(1);
  });
});

describe("ANSWER_MAX_CHARS on Slack", () => {
  test("a huge answer arrives as its start and end with the cut line, not as hundreds of messages", async () => {
    const h = await start({ adapter: FAST });
    await h.deliver(mentionEvent({ text: "<@U0BOT> everything #long=500000" }));
    await until(() => h.core.logLines.some((l) => l.includes("answer cut")));
    await until(() => h.api.messages.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const texts = h.api.messages.map((m) => m.text);
    expect(texts.length).toBeLessThanOrEqual(5);
    const all = texts.join("\n");
    expect(all.startsWith("Paragraph 1.")).toBe(true);
    expect(all).toContain(cutLine(longAnswer(500_000).length));
    expect(all.endsWith(longAnswer(500_000).slice(-100))).toBe(true);
  });
});
