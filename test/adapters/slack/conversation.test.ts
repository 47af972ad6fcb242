import { describe, expect, test } from "vitest";
import { mentionEvent, messageEvent, nextTs } from "../../support/slack-events.js";
import { useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();

describe("Slack conversations (HTTP mode, real Bolt, real core)", () => {
  test("a top-level mention is answered in its own thread, with a single chat.postMessage", async () => {
    const h = await start();
    const ts = nextTs();
    expect(await h.deliver(mentionEvent({ ts, text: "<@U0BOT> what is Twilio?" }))).toBe(200);
    const [post] = await h.api.waitFor("chat.postMessage", 1);
    expect(post?.args).toMatchObject({ channel: "C0GENERAL", thread_ts: ts });
    expect(post?.args.text).toContain("You said: “what is Twilio?”");
    expect(h.core.simulator.received).toEqual([
      expect.objectContaining({
        identity: "user_id:slack_T0TEAM_U0ANA",
        sessionId: `slack__T0TEAM/C0GENERAL/${ts}`,
        body: "what is Twilio?",
      }),
    ]);
    // A fast answer costs exactly auth.test (at start) + one chat.postMessage: no indicator calls.
    expect(h.api.calls.map((call) => call.method)).toEqual(["auth.test", "chat.postMessage"]);
  });

  test("a follow-up in the thread keeps the session, with or without a mention", async () => {
    const h = await start();
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> first" }));
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(messageEvent({ thread_ts: root, text: "second, no mention" }));
    await h.api.waitFor("chat.postMessage", 2);
    await h.deliver(mentionEvent({ thread_ts: root, text: "<@U0BOT> third" }));
    const posts = await h.api.waitFor("chat.postMessage", 3);

    const sessions = h.core.simulator.received.map((r) => r.sessionId);
    expect(sessions).toEqual([sessions[0], sessions[0], sessions[0]]);
    expect(posts.map((p) => p.args.thread_ts)).toEqual([root, root, root]);
    expect(posts[2]?.args.text).toContain("message 3 of our conversation");
  });

  test("another thread is another session; another user is another identity in the same session", async () => {
    const h = await start();
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> one" }));
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(mentionEvent({ text: "<@U0BOT> other thread" }));
    await h.api.waitFor("chat.postMessage", 2);
    await h.deliver(messageEvent({ thread_ts: root, user: "U0BEN", text: "me too" }));
    await h.api.waitFor("chat.postMessage", 3);

    const [first, other, ben] = h.core.simulator.received;
    expect(other?.sessionId).not.toBe(first?.sessionId);
    expect(other?.identity).toBe(first?.identity);
    expect(ben?.sessionId).toBe(first?.sessionId);
    expect(ben?.identity).toBe("user_id:slack_T0TEAM_U0BEN");
  });

  test("a reply in a thread the bot is not in is ignored; follow-ups can be switched off", async () => {
    const h = await start({ slack: { threadFollowups: false } });
    const root = nextTs();
    expect(await h.deliver(messageEvent({ thread_ts: nextTs(), text: "unrelated thread" }))).toBe(200);
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> hi" }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(await h.deliver(messageEvent({ thread_ts: root, text: "no mention" }))).toBe(200);
    expect(h.submitted.map((s) => s.message.text)).toEqual(["hi"]);
  });

  test("a direct message is answered in its thread; a reply in that thread keeps the session", async () => {
    const h = await start();
    const ts = nextTs();
    await h.deliver(messageEvent({ channel: "D0ANA", channel_type: "im", ts, text: "hello in private" }));
    const [post] = await h.api.waitFor("chat.postMessage", 1);
    expect(post?.args).toMatchObject({ channel: "D0ANA", thread_ts: ts });
    await h.deliver(messageEvent({ channel: "D0ANA", channel_type: "im", thread_ts: ts, text: "and again" }));
    await h.api.waitFor("chat.postMessage", 2);
    const [first, second] = h.core.simulator.received;
    expect(first?.sessionId).toBe(`slack__T0TEAM/D0ANA/${ts}`);
    expect(second?.sessionId).toBe(first?.sessionId);
  });

  test("three quick mentions in one thread are answered in order", async () => {
    const h = await start({ core: { simulator: { latencyMs: 30 } } });
    const root = nextTs();
    for (const word of ["one", "two", "three"]) {
      expect(await h.deliver(mentionEvent({ thread_ts: root, text: `<@U0BOT> ${word}` }))).toBe(200);
    }
    const posts = await h.api.waitFor("chat.postMessage", 3);
    expect(posts.map((p) => /You said: “(\w+)”/.exec(p.args.text ?? "")?.[1])).toEqual([
      "one",
      "two",
      "three",
    ]);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["one", "two", "three"]);
  });

  test("a message waiting for a name lookup does not let later ones in its thread overtake it", async () => {
    const h = await start({ users: { U0BEN: { name: "ben" } } });
    const release = h.api.hold("users.info");
    const root = nextTs();
    // Each delivery is answered once its message is stored, so these three wait for the lookup.
    const waiting = [
      h.deliver(mentionEvent({ thread_ts: root, text: "<@U0BOT> one for <@U0BEN>" })),
      h.deliver(mentionEvent({ thread_ts: root, text: "<@U0BOT> two" })),
      h.deliver(mentionEvent({ thread_ts: root, text: "<@U0BOT> three" })),
    ];
    // Another thread does not wait for this one.
    await h.deliver(mentionEvent({ text: "<@U0BOT> elsewhere" }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.submitted.map((s) => s.message.text)).toEqual(["elsewhere"]);
    release();
    expect(await Promise.all(waiting)).toEqual([200, 200, 200]);
    await h.api.waitFor("chat.postMessage", 4);
    expect(h.submitted.map((s) => s.message.text)).toEqual(["elsewhere", "one for @ben", "two", "three"]);
  });

  test("Slack tokens reach the assistant readable", async () => {
    const h = await start({ users: { U0BEN: { name: "ben", displayName: "Ben" } } });
    await h.deliver(
      mentionEvent({
        text: "<@U0BOT> ask <@U0BEN> in <#C0SUP|support> about <https://x.test|this> &amp; &lt;that&gt;",
      }),
    );
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.core.simulator.received[0]?.body).toBe(
      "ask @Ben in #support about this (https://x.test) & <that>",
    );
    // The name was looked up once and is cached for the next message.
    await h.deliver(mentionEvent({ text: "<@U0BOT> and <@U0BEN> again" }));
    await h.api.waitFor("chat.postMessage", 2);
    expect(h.api.callsTo("users.info")).toHaveLength(1);
    expect(h.core.simulator.received[1]?.body).toBe("and @Ben again");
  });

  test("a mention with no question gets a short hint and no assistant call", async () => {
    const h = await start();
    await h.deliver(mentionEvent({ text: "<@U0BOT>" }));
    const [hint] = await h.api.waitFor("chat.postMessage", 1);
    expect(hint?.args.text).toContain("Mention me together with your question");
    expect(h.core.simulator.received).toEqual([]);
  });
});
