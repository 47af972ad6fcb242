import { describe, expect, it } from "vitest";
import { AssistantApiError } from "../../src/assistant/errors.js";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";

const outcome = async (metrics: ReturnType<typeof fakeBridge>["metrics"], name: string) =>
  (await metrics.assistantCalls.get()).values.find((v) => v.labels.outcome === name)?.value ?? 0;

describe("the assistant refuses the credentials (Twilio 401/403)", () => {
  it("counts it as its own outcome, says the assistant is unavailable, and is not ready", async () => {
    const { bridge, submit, assistant, metrics, logLines } = fakeBridge();
    assistant.respond = async () => {
      throw new AssistantApiError("Twilio answered HTTP 401: Authenticate", 401, 20003);
    };
    const port = new RecordingPort();
    expect(bridge.notReadyReason()).toBeNull();
    void submit(message({ thread: "a" }), port);
    void submit(message({ thread: "b" }), port);
    await port.waitFor(2);

    expect(await outcome(metrics, "unauthorized")).toBe(2);
    expect(await outcome(metrics, "api_error")).toBe(0);
    expect(port.replies.map((r) => r.kind)).toEqual(["failure", "failure"]);
    for (const reply of port.replies) {
      expect(reply.text).toMatch(/^Sorry, the assistant is unavailable/);
      expect(reply.text).not.toMatch(/try again in a moment/);
    }
    expect(bridge.notReadyReason()).toMatch(/^assistant: Twilio refused the credentials \(HTTP 401\)/);
    // Logged once at error level, not once per message.
    expect(logLines.filter((l) => l.includes("Twilio refused the credentials"))).toHaveLength(1);
    // Not retried: every call fails alike until someone fixes the credentials (and once known refused,
    // the later message may be held without a call: test/pipeline/backend-health.test.ts).
    expect(assistant.calls.length).toBeGreaterThanOrEqual(1);
    expect(assistant.calls.length).toBeLessThanOrEqual(2);
  });

  it("treats 403 the same, and recovers once a call succeeds again", async () => {
    // Every message is a check here (no holding back), as for a check call after the interval.
    const { bridge, submit, assistant } = fakeBridge({}, 4000, { recheckEveryMs: 0 });
    let refuse = true;
    assistant.respond = async (request) => {
      if (refuse) throw new AssistantApiError("Twilio answered HTTP 403", 403, 20403);
      return { kind: "answer", body: `echo: ${request.body}`, sessionId: null };
    };
    const port = new RecordingPort();
    void submit(message(), port);
    await port.waitFor(1);
    expect(bridge.notReadyReason()).toMatch(/HTTP 403/);
    refuse = false;
    void submit(message({ text: "again" }), port);
    await port.waitFor(2);
    expect(bridge.notReadyReason()).toBeNull();
    expect(port.replies.map((r) => r.kind)).toEqual(["failure", "answer"]);
  });

  it("keeps a 500 an api_error with the usual failure notice, and stays ready", async () => {
    const { bridge, submit, assistant, metrics } = fakeBridge();
    assistant.respond = async () => {
      throw new AssistantApiError("Twilio answered HTTP 500", 500, null);
    };
    const port = new RecordingPort();
    void submit(message(), port);
    await port.waitFor(1);
    expect(await outcome(metrics, "api_error")).toBe(1);
    expect(port.replies[0]?.text).toMatch(/try again in a moment/);
    expect(bridge.notReadyReason()).toBeNull();
  });
});

describe("ANSWER_MAX_CHARS in the core", () => {
  it("cuts a huge answer once, for every platform, and counts it", async () => {
    const { submit, assistant, metrics } = fakeBridge();
    assistant.respond = async () => ({ kind: "answer", body: "x ".repeat(3_000_000), sessionId: null });
    const slack = new RecordingPort();
    const discord = new RecordingPort();
    void submit(message({ platform: "slack" }), slack);
    void submit(message({ platform: "discord", thread: "d" }), discord);
    await slack.waitFor(1);
    await discord.waitFor(1);
    for (const port of [slack, discord]) {
      expect(port.replies[0]?.text.length).toBeLessThanOrEqual(12_000);
      expect(port.replies[0]?.text).toContain("(6,000,000 characters)");
    }
    expect((await metrics.answersCut.get()).values[0]?.value).toBe(2);
  });
});

describe("a thread no reply can reach (the platform refuses the bot's credentials)", () => {
  it("holds a message there without an assistant call, gives it up after the bound, and goes on with the others", async () => {
    const { store, submit, assistant, metrics, logLines } = fakeBridge({}, 4000, {
      holdUnreplyableMs: 1_500,
    });
    const revoked = new RecordingPort();
    revoked.replyable = false;
    const fine = new RecordingPort();
    void submit(message({ thread: "a", text: "lost cause" }), revoked);
    void submit(message({ thread: "b", text: "answerable" }), fine);
    await fine.waitFor(1);
    await expect.poll(() => store.depth(), { timeout: 5_000 }).toBe(0);

    expect(assistant.calls.map((c) => c.request.body)).toEqual(["answerable"]);
    expect(revoked.events).toEqual([]);
    const counted = (await metrics.messagesUnanswerable.get()).values.find(
      (v) => v.labels.platform === "slack",
    );
    expect(counted?.value).toBe(1);
    expect(logLines.some((l) => l.includes("given up unanswered") && l.includes('"level":50'))).toBe(true);
  });

  it("answers a held message once its thread can take replies again, in order with the next", async () => {
    const { submit, assistant, metrics } = fakeBridge({ concurrency: 1 });
    const port = new RecordingPort();
    port.replyable = false;
    void submit(message({ thread: "a", text: "held first" }), port);
    void submit(message({ thread: "a", text: "held second" }), port);
    // With one call at a time, other sessions are not starved by the held one.
    const other = new RecordingPort();
    void submit(message({ thread: "b", text: "elsewhere" }), other);
    await other.waitFor(1);
    expect(assistant.calls.map((c) => c.request.body)).toEqual(["elsewhere"]);
    port.replyable = true;
    await port.waitFor(2);
    expect(assistant.calls.map((c) => c.request.body)).toEqual(["elsewhere", "held first", "held second"]);
    expect((await metrics.messagesUnanswerable.get()).values).toEqual([]);
  });
});
