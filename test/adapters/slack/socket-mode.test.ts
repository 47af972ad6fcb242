import { describe, expect, test, vi } from "vitest";
import { FEEDBACK_ACTION_ID } from "../../../adapters/slack/render.js";
import { feedbackReplies } from "../../../src/pipeline/feedback.js";
import { envelope, mentionEvent, nextTs, TEAM } from "../../support/slack-events.js";
import { APP_TOKEN, type SlackHarness, useSlackHarness } from "../../support/slack-harness.js";

const start = useSlackHarness();
const startSocketHarness = () => start({ mode: "socket" });

describe("Socket Mode", () => {
  test("connects through apps.connections.open on SLACK_API_URL, acks envelopes and answers a mention", async () => {
    const h = await startSocketHarness();
    expect(h.adapter.routes.size).toBe(0);
    expect(h.adapter.notReadyReason()).toBeNull();
    const [open] = h.api.callsTo("apps.connections.open");
    expect(open?.token).toBe(APP_TOKEN);

    const socket = h.socket;
    if (!socket) throw new Error("no socket server");
    const ts = nextTs();
    const body = envelope(mentionEvent({ ts, text: "<@U0BOT> over the socket" }));
    const ack = await socket.send(body);
    expect(ack.envelope_id).toEqual(expect.any(String));
    const [post] = await h.api.waitFor("chat.postMessage", 1);
    expect(post?.args).toMatchObject({ channel: "C0GENERAL", thread_ts: ts });
    expect(h.core.simulator.received.map((r) => r.body)).toEqual(["over the socket"]);

    // A redelivered envelope (retry_attempt) is acknowledged but not answered twice.
    await socket.send(body, 1);
    await h.waitForSubmits(2);
    expect(h.submitted.map((s) => s.result)).toEqual(["queued", "duplicate"]);
  });

  test("is not ready while the connection is down", async () => {
    const h = await startSocketHarness();
    expect(h.adapter.notReadyReason()).toBeNull();
    h.socket?.dropClient();
    await vi.waitFor(() => expect(h.adapter.notReadyReason()).toBe("slack: Socket Mode not connected"));
  });

  test("stopIntake closes the connection so Slack sends new events elsewhere", async () => {
    const h = await startSocketHarness();
    await h.adapter.stopIntake();
    await h.socket?.disconnected();
    expect(h.adapter.notReadyReason()).not.toBeNull();
    await expect(h.socket?.send(envelope(mentionEvent()))).rejects.toThrow(/no Socket Mode client/);
  });
});

describe("Socket Mode interactivity that is not the bridge's own", () => {
  const who = {
    team: { id: TEAM, domain: "test" },
    user: { id: "U0ANA", team_id: TEAM },
    api_app_id: "A0APP",
  };
  const foreign = [
    {
      type: "block_actions",
      trigger_id: "1.2.3",
      actions: [{ type: "button", action_id: "another_apps_button", block_id: "x", value: "v" }],
    },
    { type: "view_submission", view: { id: "V0OLD", callback_id: "a_stale_modal", state: { values: {} } } },
    { type: "view_closed", view: { id: "V0OLD", callback_id: "a_stale_modal" } },
  ];
  const loud = (h: SlackHarness) => h.core.logLines.filter((line) => /"level":(40|50)/.test(line));
  const socketOf = (h: SlackHarness) => {
    if (!h.socket) throw new Error("no socket server");
    return h.socket;
  };

  // Bolt has no listener for these and would leave the envelope unacknowledged (the person sees
  // the app fail after 3 s): the test waits for the ack, so without one it fails.
  test.each(foreign)(
    "$type: acknowledged at once, logged at debug only, nothing recorded",
    async (payload) => {
      const h = await start({ mode: "socket", core: { feedback: true } });
      const ack = await socketOf(h).send({ ...payload, ...who }, 0, "interactive");
      expect(ack.envelope_id).toEqual(expect.any(String));
      expect(h.core.simulator.feedbacks).toEqual([]);
      expect(loud(h)).toEqual([]);
      expect(h.core.logLines.some((line) => line.includes("payload not used"))).toBe(true);
    },
  );

  test("a slash command the app does not have is acknowledged too", async () => {
    const h = await start({ mode: "socket" });
    const command = {
      command: "/deploy",
      text: "now",
      team_id: TEAM,
      user_id: "U0ANA",
      channel_id: "C0GENERAL",
    };
    await socketOf(h).send(command, 0, "slash_commands");
    expect(loud(h)).toEqual([]);
  });

  test("the feedback buttons are the bridge's own only with FEEDBACK on: acknowledged either way", async () => {
    const click = (value: string) => ({
      ...who,
      type: "block_actions",
      trigger_id: "1.2.3",
      channel: { id: "C0GENERAL" },
      actions: [{ type: "feedback_buttons", action_id: FEEDBACK_ACTION_ID, block_id: "b", value }],
    });
    const off = await start({ mode: "socket" });
    await socketOf(off).send(click("stale"), 0, "interactive");
    expect(loud(off)).toEqual([]);
    await off.close();

    // With FEEDBACK on the bridge's own listener still gets its click: the vote is recorded.
    const h = await start({ mode: "socket", core: { feedback: true } });
    await socketOf(h).send(envelope(mentionEvent({ text: "<@U0BOT> rate me" })));
    const [answer] = await h.api.waitFor("chat.postMessage", 1);
    const blocks = JSON.parse(answer?.args.blocks ?? "[]") as Array<{ type: string; elements?: unknown[] }>;
    const buttons = blocks.find((block) => block.type === "context_actions")?.elements?.[0] as
      | { positive_button: { value: string } }
      | undefined;
    await socketOf(h).send(click(buttons?.positive_button.value ?? ""), 0, "interactive");
    const [confirmation] = await h.api.waitFor("chat.postEphemeral", 1);
    expect(confirmation?.args.text).toBe(feedbackReplies.recorded);
    expect(h.core.simulator.feedbacks.map((f) => f.score)).toEqual([1]);
  });
});
