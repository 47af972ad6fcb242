import { describe, expect, test } from "vitest";
import {
  appHomeOpenedEvent,
  mentionEvent,
  messageEvent,
  nextTs,
  orgWideInstall,
} from "../../support/slack-events.js";
import { useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();
const PROMPTS = ["What can you do?", "Summarise my last order"];

/** A direct message to the bot, top level (its thread is its own ts). */
const dm = (fields: Record<string, unknown> = {}) =>
  messageEvent({ channel: "D0ANA", channel_type: "im", ...fields });

describe("Slack agent messaging: the Messages tab", () => {
  test("opening the Messages tab sets the suggested prompts, without thread_ts, once per opening", async () => {
    const h = await start({ slack: { suggestedPrompts: PROMPTS } });
    const opening = appHomeOpenedEvent();
    expect(await h.deliver(opening, { eventId: "EvOpen1" })).toBe(200);
    const [call] = await h.api.waitFor("assistant.threads.setSuggestedPrompts", 1);
    expect(call?.args.channel_id).toBe("D0ANA");
    expect(call?.args).not.toHaveProperty("thread_ts");
    expect(JSON.parse(call?.args.prompts ?? "[]")).toEqual(
      PROMPTS.map((prompt) => ({ title: prompt, message: prompt })),
    );

    // Slack's retry of the same opening is not a second opening.
    expect(await h.deliver(opening, { eventId: "EvOpen1", retryNum: 1 })).toBe(200);
    // The Home tab is not the conversation.
    await h.deliver(appHomeOpenedEvent({ tab: "home" }));
    // A barrier: once this DM is answered, anything the events above caused has been called.
    await h.deliver(dm({ text: "hi" }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.api.callsTo("assistant.threads.setSuggestedPrompts")).toHaveLength(1);

    // Opening the tab again later is a new opening.
    await h.deliver(appHomeOpenedEvent());
    await h.api.waitFor("assistant.threads.setSuggestedPrompts", 2);
  });

  test("sets no prompts when SLACK_SUGGESTED_PROMPTS is empty", async () => {
    const h = await start();
    expect(await h.deliver(appHomeOpenedEvent())).toBe(200);
    await h.deliver(dm({ text: "hi" }));
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.api.callsTo("assistant.threads.setSuggestedPrompts")).toEqual([]);
  });

  test("a refused setSuggestedPrompts disturbs nothing: the event is acknowledged and DMs are answered", async () => {
    const h = await start({ slack: { suggestedPrompts: PROMPTS } });
    h.api.fail("assistant.threads.setSuggestedPrompts", "invalid_arguments");
    expect(await h.deliver(appHomeOpenedEvent())).toBe(200);
    await h.api.waitFor("assistant.threads.setSuggestedPrompts", 1);
    await h.deliver(dm({ text: "still there?" }));
    const [post] = await h.api.waitFor("chat.postMessage", 1);
    expect(post?.args.text).toContain("still there?");
    expect(h.core.logLines.join("")).toContain("could not set the slack suggested prompts");
  });
});

describe("Slack agent messaging: the working status in DMs", () => {
  test("a slow DM answer sets the thread's status, sets it again while waiting, and the answer clears it", async () => {
    const h = await start({
      indicatorDelayMs: 10,
      statusRefreshMs: 150,
      core: { simulator: { latencyMs: 500 } },
    });
    const ts = nextTs();
    await h.deliver(dm({ ts, text: "think hard" }));
    await h.api.waitFor("chat.postMessage", 1);
    const statuses = h.api.callsTo("assistant.threads.setStatus");
    expect(statuses.length).toBeGreaterThanOrEqual(3);
    for (const call of statuses) {
      expect(call.args).toMatchObject({ channel_id: "D0ANA", thread_ts: ts, status: "is thinking…" });
      expect(JSON.parse(call.args.loading_messages ?? "[]").length).toBeGreaterThan(1);
    }
    await h.core.bridge.stop(1000);
    // Posting the answer cleared it on Slack's side: no clearing call, and no reaction in a DM.
    expect(h.api.callsTo("assistant.threads.setStatus").filter((c) => c.args.status === "")).toEqual([]);
    expect(h.api.callsTo("reactions.add")).toEqual([]);
    const methods = h.api.calls.map((c) => c.method);
    expect(methods.lastIndexOf("assistant.threads.setStatus")).toBeLessThan(
      methods.indexOf("chat.postMessage"),
    );
  });

  test("the status is cleared explicitly when the reply could not be posted", async () => {
    const h = await start({ indicatorDelayMs: 10, core: { simulator: { latencyMs: 150 } } });
    h.api.fail("chat.postMessage", "channel_not_found", 10);
    await h.deliver(dm({ text: "hello?" }));
    const calls = await h.api.waitFor("assistant.threads.setStatus", 2);
    expect(calls.map((c) => c.args.status)).toEqual(["is thinking…", ""]);
  });

  test("where Slack refuses setStatus, the workspace's DMs get the reaction, and it is remembered", async () => {
    const h = await start({ indicatorDelayMs: 10, core: { simulator: { latencyMs: 150 } } });
    h.api.fail("assistant.threads.setStatus", "not_allowed_token_type");
    const first = nextTs();
    await h.deliver(dm({ ts: first, text: "one" }));
    await h.api.waitFor("reactions.remove", 1);
    expect(h.api.callsTo("reactions.add")[0]?.args).toMatchObject({ channel: "D0ANA", timestamp: first });
    await h.deliver(dm({ text: "two" }));
    await h.api.waitFor("reactions.remove", 2);
    expect(h.api.callsTo("assistant.threads.setStatus")).toHaveLength(1);
    expect(h.api.callsTo("reactions.add")).toHaveLength(2);
  });

  test("channels keep the reaction", async () => {
    const h = await start({ indicatorDelayMs: 10, core: { simulator: { latencyMs: 150 } } });
    await h.deliver(mentionEvent({ text: "<@U0BOT> think hard" }));
    await h.api.waitFor("reactions.remove", 1);
    expect(h.api.callsTo("assistant.threads.setStatus")).toEqual([]);
  });
});

describe("Slack Enterprise Grid identity", () => {
  test("on an org-wide install one person is one identity across the organisation's workspaces", async () => {
    const h = await start();
    await h.deliver(mentionEvent({ team: "T0ONE", text: "<@U0BOT> from one" }), {
      envelope: orgWideInstall("E0ORG", "T0ONE"),
    });
    await h.api.waitFor("chat.postMessage", 1);
    await h.deliver(dm({ team: "T0TWO", text: "from two" }), { envelope: orgWideInstall("E0ORG", "T0TWO") });
    await h.api.waitFor("chat.postMessage", 2);
    expect(h.core.simulator.received.map((r) => r.identity)).toEqual([
      "user_id:slack_E0ORG_U0ANA",
      "user_id:slack_E0ORG_U0ANA",
    ]);
    // Threads still belong to their workspace.
    expect(h.core.simulator.received[0]?.sessionId).toMatch(/^slack__T0ONE\//);
  });

  test("a single-workspace install (also one inside a Grid organisation) keeps the per-workspace identity", async () => {
    const h = await start();
    await h.deliver(mentionEvent({ text: "<@U0BOT> hi" }), {
      envelope: { enterprise_id: "E0ORG", is_enterprise_install: false },
    });
    await h.api.waitFor("chat.postMessage", 1);
    expect(h.core.simulator.received[0]?.identity).toBe("user_id:slack_T0TEAM_U0ANA");
  });
});
