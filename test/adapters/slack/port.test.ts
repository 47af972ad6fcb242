import { describe, expect, test } from "vitest";
import { markdownToMrkdwn } from "../../../adapters/slack/mrkdwn.js";
import { MESSAGE_CHARS } from "../../../adapters/slack/render.js";
import { FLAGGED_WARNING } from "../../../src/notices.js";
import { longAnswer } from "../../../src/simulator/server.js";
import { mentionEvent, nextTs } from "../../support/slack-events.js";
import { BOT_TOKEN, useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();
const squash = (text: string) => text.replace(/\s+/g, " ").trim();

describe("Slack replies", () => {
  test("a 9,000-character answer arrives complete, in order, every message within the limits", async () => {
    const h = await start();
    const ts = nextTs();
    await h.deliver(mentionEvent({ ts, text: "<@U0BOT> tell me everything #long=9000" }));
    await h.api.waitFor("chat.postMessage", 3);
    const posts = h.api.callsTo("chat.postMessage");
    const texts = posts.map((p) => p.args.text ?? "");
    const full = markdownToMrkdwn(longAnswer(9000));
    expect(full.length).toBeGreaterThan(9000);
    expect(texts.length).toBe(Math.ceil(full.length / MESSAGE_CHARS));
    expect(squash(texts.join(" "))).toBe(squash(full));
    for (const text of texts) {
      expect(text.length).toBeLessThanOrEqual(MESSAGE_CHARS);
      expect(text.startsWith("Paragraph ")).toBe(true);
    }
    expect(posts.every((p) => p.args.thread_ts === ts)).toBe(true);
  });

  test("markdown is rendered as mrkdwn", async () => {
    const h = await start();
    await h.deliver(mentionEvent({ text: "<@U0BOT> show me #markdown" }));
    const [post] = await h.api.waitFor("chat.postMessage", 1);
    const text = post?.args.text ?? "";
    expect(text).toContain("*Markdown sample*");
    expect(text).toContain("Some *bold*, some _italic_, some ~struck~ text and `inline code`.");
    expect(text).toContain("• another with a <https://www.twilio.com/docs|link>");
    expect(text).toContain("```\nconst answer: number = 42;\n```");
    expect(text).not.toContain("**");
    expect(text).not.toContain("# ");
  });

  test("a flagged answer carries the warning in the same message", async () => {
    const h = await start();
    await h.deliver(mentionEvent({ text: "<@U0BOT> risky #flagged" }));
    const [post] = await h.api.waitFor("chat.postMessage", 1);
    expect(post?.args.text?.startsWith(`${FLAGGED_WARNING}\n\n`)).toBe(true);
    expect(post?.args.text).toContain("You said: “risky #flagged”");
    expect(h.posted()).toHaveLength(1);
  });

  test("failure and aborted notices are short and friendly, and the next message still works", async () => {
    const h = await start();
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> please #fail" }));
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(mentionEvent({ thread_ts: root, text: "<@U0BOT> please #aborted" }));
    await h.api.waitFor("chat.postMessage", 2);
    await h.deliver(mentionEvent({ thread_ts: root, text: "<@U0BOT> and now?" }));
    const posts = await h.api.waitFor("chat.postMessage", 3);
    const [failure = "", aborted = "", answer = ""] = posts.map((p) => p.args.text ?? "");
    expect(failure).toMatch(/^Sorry, the assistant could not answer this time\. .*\(ref [0-9a-f]{8}\)$/);
    expect(aborted).toMatch(/^The assistant stopped before finishing this answer\./);
    expect(answer).toContain("You said: “and now?”");
    for (const text of [failure, aborted]) {
      expect(text.length).toBeLessThan(200);
      expect(text).not.toMatch(/Error|at .*\(|xox/);
    }
    expect(posts.every((p) => p.args.thread_ts === root)).toBe(true);
  });

  test("a rate-limited chat.postMessage is retried and the answer arrives once", async () => {
    const h = await start();
    h.api.rateLimit("chat.postMessage", 1, 0);
    await h.deliver(mentionEvent({ text: "<@U0BOT> despite the limit" }));
    await h.api.waitFor("chat.postMessage", 2);
    expect(h.api.callsTo("chat.postMessage").map((c) => c.status)).toEqual([429, 200]);
    expect(h.core.simulator.received).toHaveLength(1);
  });

  test("replies never carry the token in the body; the bearer header does", async () => {
    const h = await start();
    await h.deliver(mentionEvent({ text: "<@U0BOT> hi" }));
    const [post] = await h.api.waitFor("chat.postMessage", 1);
    expect(post?.token).toBe(BOT_TOKEN);
    expect(post?.args.text).not.toContain(BOT_TOKEN);
  });
});

describe("the working indicator", () => {
  test("a slow answer shows a reaction on the question, removed after the reply", async () => {
    const h = await start({ indicatorDelayMs: 10, core: { simulator: { latencyMs: 150 } } });
    const ts = nextTs();
    await h.deliver(mentionEvent({ ts, text: "<@U0BOT> think hard" }));
    await h.api.waitFor("reactions.remove", 1);
    const methods = h.api.calls.map((c) => c.method).filter((m) => m !== "auth.test");
    expect(methods).toEqual(["reactions.add", "chat.postMessage", "reactions.remove"]);
    const target = { channel: "C0GENERAL", timestamp: ts, name: "hourglass_flowing_sand" };
    expect(h.api.callsTo("reactions.add")[0]?.args).toMatchObject(target);
    expect(h.api.callsTo("reactions.remove")[0]?.args).toMatchObject(target);
  });

  test("is cleaned up when the assistant fails too", async () => {
    const h = await start({
      indicatorDelayMs: 10,
      core: { timeoutMs: 150, queue: { maxRetries: 0 }, simulator: { script: () => ({ kind: "hang" }) } },
    });
    await h.deliver(mentionEvent({ text: "<@U0BOT> never answered" }));
    await h.api.waitFor("reactions.remove", 1);
    expect(h.posted()).toEqual([expect.stringMatching(/^Sorry, the assistant took too long to answer/)]);
    expect(h.api.callsTo("reactions.add")).toHaveLength(1);
  });

  test("a rate-limited indicator never delays the answer, and pauses itself for Retry-After", async () => {
    const h = await start({ indicatorDelayMs: 10, core: { simulator: { latencyMs: 80 } } });
    h.api.rateLimit("reactions.add", 1, 30);
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> one" }));
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(mentionEvent({ thread_ts: root, text: "<@U0BOT> two" }));
    await h.api.waitFor("chat.postMessage", 2);
    // One attempt, refused; none during the 30 s pause; nothing to remove.
    expect(h.api.callsTo("reactions.add").map((c) => c.status)).toEqual([429]);
    expect(h.api.callsTo("reactions.remove")).toEqual([]);
  });
});
