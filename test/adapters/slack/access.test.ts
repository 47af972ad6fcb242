import { describe, expect, test } from "vitest";
import { REFUSAL_CHANNEL, REFUSAL_USER } from "../../../adapters/slack/access.js";
import { mentionEvent, messageEvent, nextTs } from "../../support/slack-events.js";
import { useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();

describe("allow-lists", () => {
  test("a mention outside SLACK_ALLOWED_CHANNELS gets one polite refusal (twins and retries included)", async () => {
    const h = await start({ slack: { allowedChannels: new Set(["C0SUPPORT"]) } });
    const ts = nextTs();
    const text = "<@U0BOT> can you help?";
    await h.deliver(mentionEvent({ ts, text }), { eventId: "EvA" });
    await h.deliver(messageEvent({ ts, text }), { eventId: "EvB" });
    await h.deliver(mentionEvent({ ts, text }), { eventId: "EvA", retryNum: 1 });
    const [refusal] = await h.api.waitFor("chat.postMessage", 1);
    expect(refusal?.args).toMatchObject({ channel: "C0GENERAL", thread_ts: ts, text: REFUSAL_CHANNEL });

    await h.deliver(mentionEvent({ channel: "C0SUPPORT", text: "<@U0BOT> here then" }));
    await h.api.waitFor("chat.postMessage", 2);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["here then"]);
    expect(h.posted()).toHaveLength(2);
  });

  test("a person outside SLACK_ALLOWED_USERS is refused, also in DMs; allowed people are answered", async () => {
    const h = await start({ slack: { allowedUsers: new Set(["U0ANA"]) } });
    await h.deliver(messageEvent({ channel: "D0BEN", channel_type: "im", user: "U0BEN", text: "let me in" }));
    const [refusal] = await h.api.waitFor("chat.postMessage", 1);
    expect(refusal?.args).toMatchObject({ channel: "D0BEN", text: REFUSAL_USER });
    await h.deliver(messageEvent({ channel: "D0ANA", channel_type: "im", user: "U0ANA", text: "hi" }));
    await h.api.waitFor("chat.postMessage", 2);
    expect(h.core.simulator.received.map((r) => r.identity)).toEqual(["user_id:slack_T0TEAM_U0ANA"]);
  });

  test("direct messages are not held to the channel list", async () => {
    const h = await start({ slack: { allowedChannels: new Set(["C0SUPPORT"]) } });
    await h.deliver(messageEvent({ channel: "D0ANA", channel_type: "im", text: "private question" }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["private question"]);
  });

  test("in an active thread, someone not allowed is refused once, not on every reply", async () => {
    const h = await start({ slack: { allowedUsers: new Set(["U0ANA"]) } });
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> open" }));
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(messageEvent({ thread_ts: root, user: "U0BEN", text: "me too" }));
    await h.deliver(messageEvent({ thread_ts: root, user: "U0BEN", text: "hello?" }));
    await h.api.waitFor("chat.postMessage", 2);
    await h.deliver(messageEvent({ thread_ts: root, user: "U0ANA", text: "next" }));
    await h.api.waitFor("chat.postMessage", 3);
    expect(h.posted().filter((t) => t === REFUSAL_USER)).toHaveLength(1);
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["open", "next"]);
  });
});

describe("SLACK_IDENTITY=email", () => {
  const users = {
    U0ANA: { name: "ana", email: "Ana@Example.COM" },
    U0NOMAIL: { name: "guest" },
  };

  test("sends email:<address> from users.info, cached across messages", async () => {
    const h = await start({ slack: { identity: "email" }, users });
    const root = nextTs();
    await h.deliver(mentionEvent({ ts: root, text: "<@U0BOT> who am I?" }));
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(messageEvent({ thread_ts: root, text: "again" }));
    await h.api.waitFor("chat.postMessage", 2);
    expect(h.core.simulator.received.map((r) => r.identity)).toEqual([
      "email:ana@example.com",
      "email:ana@example.com",
    ]);
    expect(h.api.callsTo("users.info").map((c) => c.args.user)).toEqual(["U0ANA"]);
  });

  test("falls back to the user id identity without an address or when Slack does not know the user", async () => {
    const h = await start({ slack: { identity: "email" }, users });
    await h.deliver(mentionEvent({ user: "U0NOMAIL", text: "<@U0BOT> no email" }));
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(mentionEvent({ user: "U0GHOST", text: "<@U0BOT> unknown" }));
    await h.api.waitFor("chat.postMessage", 2);
    expect(h.core.simulator.received.map((r) => r.identity)).toEqual([
      "user_id:slack_T0TEAM_U0NOMAIL",
      "user_id:slack_T0TEAM_U0GHOST",
    ]);
  });

  test("the default identity mode never calls users.info", async () => {
    const h = await start({ users });
    await h.deliver(mentionEvent({ text: "<@U0BOT> hi" }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.api.callsTo("users.info")).toEqual([]);
    expect(h.core.simulator.received[0]?.identity).toBe("user_id:slack_T0TEAM_U0ANA");
  });
});
