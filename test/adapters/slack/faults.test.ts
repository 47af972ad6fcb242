import { describe, expect, test } from "vitest";
import type { Clock } from "../../../adapters/slack/poster.js";
import { sleep } from "../../../src/pipeline/sleep.js";
import { mentionEvent, nextTs } from "../../support/slack-events.js";
import { type SlackHarness, useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();

/** A clock 100 times faster than real time, so Retry-After 60 s lasts 0.6 s of the test. */
function fastClock(speed = 100): Clock {
  return {
    now: () => performance.now() * speed,
    sleep: (ms, signal) => sleep(ms / speed, signal),
  };
}

const until = async (check: () => boolean, timeoutMs = 10_000) => {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

async function counter(h: SlackHarness, name: string, labels: Record<string, string>): Promise<number> {
  const values = (await h.core.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

/** How many answers each question got (the simulator's answer quotes its question). */
function answersPerQuestion(h: SlackHarness, questions: readonly string[]): number[] {
  return questions.map((q) => h.api.messages.filter((m) => m.text.includes(`You said: “${q}”`)).length);
}

describe("a Slack 429 longer than any deadline", () => {
  test("Retry-After 30 s then 60 s on one channel: every answer is posted exactly once afterwards", async () => {
    const h = await start({ adapter: { posting: { clock: fastClock() } } });
    h.api.rateLimitChannel("C0SLOW", 1, 30);
    const questions = Array.from({ length: 6 }, (_, i) => `limited question ${i}`);
    await h.deliver(mentionEvent({ channel: "C0SLOW", text: `<@U0BOT> ${questions[0]}` }));
    await until(() => h.api.callsTo("chat.postMessage").some((c) => c.status === 429));
    // A second, longer 429 while the channel's posts wait.
    h.api.rateLimitChannel("C0SLOW", 1, 60);
    for (const question of questions.slice(1)) {
      await h.deliver(
        mentionEvent({
          channel: "C0SLOW",
          user: `U0${question.length}${question.at(-1)}`,
          text: `<@U0BOT> ${question}`,
        }),
      );
    }
    await until(() => h.api.messages.length === 6);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answersPerQuestion(h, questions)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(h.api.callsTo("chat.postMessage").filter((c) => c.status === 429)).toHaveLength(2);
    expect(await counter(h, "bridge_slack_post_errors_total", { error: "deadline" })).toBe(0);
    expect(await counter(h, "bridge_reply_errors_total", { platform: "slack" })).toBe(0);
  });
});

describe("hung Slack posts are resolved, not given up", () => {
  test("100 hung posts released after a while (40 s, shortened): every thread answered exactly once", async () => {
    const h = await start({
      adapter: { posting: { attemptTimeoutMs: 200, checkDelayMs: 50 } },
      slack: { lookupsPerMinute: 6_000 },
      core: { queue: { maxPending: 500, maxPendingPerUser: 500, concurrency: 10, rateLimit: 1000 } },
    });
    const release = h.api.holdChannel("C0HUNG");
    const questions = Array.from({ length: 100 }, (_, i) => `hung question ${i}.`);
    for (const [i, question] of questions.entries()) {
      await h.deliver(mentionEvent({ channel: "C0HUNG", user: `U0P${i}`, text: `<@U0BOT> ${question}` }));
    }
    // Every thread asked the assistant (its answer is recorded) although only 20 slots exist.
    await until(() => h.core.simulator.received.length === 100, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(h.api.messages).toEqual([]);
    release();
    await until(() => h.api.messages.length >= 100, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answersPerQuestion(h, questions).filter((n) => n !== 1)).toEqual([]);
    expect(h.api.messages).toHaveLength(100);
    expect(await counter(h, "bridge_slack_post_errors_total", { error: "unconfirmed" })).toBe(0);
    expect(await h.core.store.depth()).toBe(0);
  }, 60_000);

  test("a recovered reply that a stopped worker may have posted is looked up first, not posted twice", async () => {
    const h = await start();
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> posted before the crash" }));
    await until(() => h.api.messages.length === 1);
    const { message, reply } = await lastReply(h);
    const port = h.adapter.portFor(message.address);
    await port.post(reply, { recovered: true, signal: new AbortController().signal });
    expect(h.api.messages).toHaveLength(1);
    expect(h.api.callsTo("conversations.replies")).toHaveLength(1);
    // And one that was not posted yet is posted once the thread shows it missing.
    await port.post(
      { ...reply, requestId: "another-request" },
      { recovered: true, signal: new AbortController().signal },
    );
    expect(h.api.messages).toHaveLength(2);
  });
});

/** The last message handed to the core and the reply it got, as the store would have recorded it. */
async function lastReply(h: SlackHarness) {
  const submitted = h.submitted.at(-1);
  if (!submitted) throw new Error("nothing submitted");
  const posted = h.api.messages.at(-1);
  const key =
    (posted?.metadata as { event_payload?: { key?: string } } | undefined)?.event_payload?.key ?? "";
  return {
    message: submitted.message,
    reply: { kind: "answer" as const, text: "recovered", requestId: key.replace(/:0$/, ""), feedback: null },
  };
}

describe("a Slack token that comes back", () => {
  test("messages that arrive while it is revoked are held without an assistant call and answered once, in order, soon after it works", async () => {
    const h = await start({ adapter: { credentialRecheckMs: 100, posting: { attemptTimeoutMs: 500 } } });
    h.api.fail("chat.postMessage", "token_revoked", 1);
    h.api.fail("auth.test", "token_revoked", 1_000_000);
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> before" }));
    await until(() => h.adapter.notReadyReason() !== null);
    const held = ["in between one", "in between two", "in between three"];
    for (const text of held)
      expect(await h.deliver(mentionEvent({ thread_ts: root, text: `<@U0BOT> ${text}` }))).toBe(200);
    await h.deliver(mentionEvent({ text: "<@U0BOT> another thread" }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["before"]);
    expect(await h.core.store.depth()).toBe(4);

    h.api.fail("auth.test", "token_revoked", 0);
    await until(() => h.api.messages.length === 4, 5_000);
    const inThread = h.api.messages.filter((m) => m.thread_ts === root).map((m) => m.text);
    expect(inThread).toEqual(held.map((text) => expect.stringContaining(`You said: “${text}”`)));
    expect(answersPerQuestion(h, [...held, "another thread"])).toEqual([1, 1, 1, 1]);
    expect((await h.core.metrics.messagesUnanswerable.get()).values).toEqual([]);
  });
});
