import { describe, expect, test } from "vitest";
import { MAX_PAGES, PAGE_LIMIT } from "../../../adapters/slack/context.js";
import { ASSISTANT_SPEAKER, CONTEXT_FOOTER, CONTEXT_HEADER } from "../../../src/pipeline/context.js";
import { BOT_ID, BOT_USER, mentionEvent, nextTs } from "../../support/slack-events.js";
import { type SlackHarness, type SlackHarnessOptions, useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();
const CHANNEL = "C0GENERAL";
const LIMITS = { maxMessages: 20, maxChars: 4_000 };
const users = { U0ANA: { name: "ana", displayName: "Ana" }, U0BEN: { name: "ben", displayName: "Ben" } };
const SKIPPED = "could not read the thread's earlier messages; the question goes alone";

const withContext = (options: SlackHarnessOptions = {}) =>
  start({ users, ...options, core: { threadContext: LIMITS, ...options.core } });

/** A person's message in a thread, as conversations.replies returns it. */
const said = (thread: string, user: string, text: string, extra: Record<string, unknown> = {}) => ({
  type: "message",
  user,
  text,
  ts: nextTs(),
  thread_ts: thread,
  ...extra,
});

const bodies = (h: SlackHarness) => h.core.simulator.received.map((request) => request.body);
const warnings = (h: SlackHarness, msg: string) =>
  h.core.logLines.filter((line) => (JSON.parse(line) as { msg?: string }).msg === msg);

describe("Slack thread context (real Bolt, Web API double, real core)", () => {
  test("a mention in the middle of a thread carries its earlier messages; the next question does not", async () => {
    const h = await withContext();
    const root = nextTs();
    h.api.seedThread(CHANNEL, root, [
      { type: "message", user: "U0ANA", text: "The deploy failed at 3pm", ts: root, thread_ts: root },
      said(root, "U0BEN", "Only <@U0ANA>'s billing service &amp; nothing else"),
      said(root, BOT_USER, "Which region?", { bot_id: BOT_ID }),
      said(root, "U0CIBOT", "build #12 red", {
        bot_id: "B0CI",
        bot_profile: { name: "CI" },
        attachments: [{ text: "long log" }],
      }),
      said(root, "U0ANA", "here is the log", { subtype: "file_share", files: [{ name: "deploy.log" }] }),
      said(root, "U0BEN", "", { subtype: "channel_join" }),
    ]);
    const question = nextTs();
    // Written after the question: never part of its context.
    h.api.seedThread(CHANNEL, root, [said(root, "U0BEN", "a later message")]);

    await h.deliver(mentionEvent({ ts: question, thread_ts: root, text: `<@${BOT_USER}> is that right?` }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(bodies(h)).toEqual([
      [
        CONTEXT_HEADER,
        "Ana: The deploy failed at 3pm",
        "Ben: Only @Ana's billing service & nothing else",
        `${ASSISTANT_SPEAKER}: Which region?`,
        "CI: build #12 red [an attachment]",
        "Ana: here is the log [a file: deploy.log]",
        CONTEXT_FOOTER,
        "",
        "Question: is that right?",
      ].join("\n"),
    ]);
    // What was read is logged at debug at most.
    const aboveDebug = h.core.logLines.filter((line) => (JSON.parse(line) as { level: number }).level > 20);
    expect(aboveDebug.join("\n")).not.toContain("deploy failed");
    const [read] = h.api.callsTo("conversations.replies");
    expect(read?.args).toMatchObject({ channel: CHANNEL, ts: root, limit: String(PAGE_LIMIT) });

    await h.deliver(mentionEvent({ thread_ts: root, text: `<@${BOT_USER}> and now?` }));
    await h.api.waitFor("chat.postMessage", 2);
    expect(bodies(h)[1]).toBe("and now?");
    expect(h.core.simulator.received[1]?.sessionId).toBe(h.core.simulator.received[0]?.sessionId);
    expect(h.api.callsTo("conversations.replies")).toHaveLength(1);
  });

  test("a long thread is paged to its end and its newest messages kept", async () => {
    const h = await withContext();
    const root = nextTs();
    const thread = Array.from({ length: 2 * PAGE_LIMIT + 50 }, (_, i) =>
      said(root, i % 2 ? "U0ANA" : "U0BEN", `message ${i}`, i === 0 ? { ts: root } : {}),
    );
    h.api.seedThread(CHANNEL, root, thread);
    await h.deliver(mentionEvent({ thread_ts: root, text: `<@${BOT_USER}> summarise this` }));
    await h.api.waitFor("chat.postMessage", 1);

    const reads = h.api.callsTo("conversations.replies");
    expect(reads.map((call) => call.args.cursor)).toEqual([undefined, "200", "400"]);
    const [body = ""] = bodies(h);
    const last = thread.length - 1;
    expect(body).toContain(`message ${last}\n${CONTEXT_FOOTER}`);
    expect(body).toContain(`message ${last - LIMITS.maxMessages + 1}\n`);
    expect(body).not.toContain(`message ${last - LIMITS.maxMessages}\n`);
  });

  test(`a thread longer than ${MAX_PAGES} pages gets no context rather than its oldest part`, async () => {
    const h = await withContext();
    const root = nextTs();
    h.api.seedThread(
      CHANNEL,
      root,
      Array.from({ length: MAX_PAGES * PAGE_LIMIT + 1 }, (_, i) => said(root, "U0ANA", `m${i}`)),
    );
    await h.deliver(mentionEvent({ thread_ts: root, text: `<@${BOT_USER}> summarise` }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.api.callsTo("conversations.replies")).toHaveLength(MAX_PAGES);
    expect(bodies(h)).toEqual(["summarise"]);
    expect(warnings(h, SKIPPED)).toHaveLength(1);
  });

  test("a top-level mention reads nothing", async () => {
    const h = await withContext();
    await h.deliver(mentionEvent({ text: `<@${BOT_USER}> hello` }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(bodies(h)).toEqual(["hello"]);
    expect(h.api.callsTo("conversations.replies")).toEqual([]);
  });

  test("THREAD_CONTEXT=off reads nothing", async () => {
    const h = await start({ users, core: { threadContext: null } });
    const root = nextTs();
    h.api.seedThread(CHANNEL, root, [said(root, "U0ANA", "earlier", { ts: root })]);
    await h.deliver(mentionEvent({ thread_ts: root, text: `<@${BOT_USER}> is that right?` }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(bodies(h)).toEqual(["is that right?"]);
    expect(h.api.callsTo("conversations.replies")).toEqual([]);
  });

  test("a refused read (missing_scope) leaves the plain question, answered, with one warning", async () => {
    const h = await withContext();
    const root = nextTs();
    h.api.seedThread(CHANNEL, root, [said(root, "U0ANA", "earlier", { ts: root })]);
    h.api.fail("conversations.replies", "missing_scope");
    await h.deliver(mentionEvent({ thread_ts: root, text: `<@${BOT_USER}> is that right?` }));
    const [post] = await h.api.waitFor("chat.postMessage", 1);
    expect(post?.args.text).toContain("is that right?");
    expect(bodies(h)).toEqual(["is that right?"]);
    expect(warnings(h, SKIPPED)).toHaveLength(1);
  });

  test("a rate-limited read is not waited for, and later reads wait for its Retry-After", async () => {
    const h = await withContext();
    const first = nextTs();
    const second = nextTs();
    for (const root of [first, second])
      h.api.seedThread(CHANNEL, root, [said(root, "U0ANA", "x", { ts: root })]);
    h.api.rateLimit("conversations.replies", 1, 120);
    await h.deliver(mentionEvent({ thread_ts: first, text: `<@${BOT_USER}> one` }));
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(mentionEvent({ thread_ts: second, text: `<@${BOT_USER}> two` }));
    await h.api.waitFor("chat.postMessage", 2);
    expect(bodies(h)).toEqual(["one", "two"]);
    // The second read was not even tried: Slack asked for two minutes.
    expect(h.api.callsTo("conversations.replies")).toHaveLength(1);
    expect(warnings(h, SKIPPED)).toHaveLength(2);
  });

  test("with the OpenAI backend the chat request's user message carries the block", async () => {
    const h = await withContext({ core: { backend: "openai", threadContext: LIMITS } });
    const root = nextTs();
    h.api.seedThread(CHANNEL, root, [said(root, "U0ANA", "The deploy failed", { ts: root })]);
    await h.deliver(mentionEvent({ thread_ts: root, text: `<@${BOT_USER}> why?` }));
    await h.api.waitFor("chat.postMessage", 1);
    const [request] = h.core.simulator.chatRequests;
    expect(request?.messages.at(-1)).toEqual({
      role: "user",
      content: [CONTEXT_HEADER, "Ana: The deploy failed", CONTEXT_FOOTER, "", "Question: why?"].join("\n"),
    });
  });
});
