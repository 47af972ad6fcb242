import { describe, expect, test, vi } from "vitest";
import { envelope, mentionEvent, nextTs } from "../../support/slack-events.js";
import { APP_TOKEN, useSlackHarness } from "../../support/slack-harness.js";

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
