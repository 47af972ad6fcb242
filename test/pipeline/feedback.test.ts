import PQueue from "p-queue";
import { describe, expect, it } from "vitest";
import type { Vote } from "../../src/adapter.js";
import { AssistantApiError, AssistantNetworkError, RateLimitedError } from "../../src/assistant/errors.js";
import type { FeedbackClient, FeedbackRequest } from "../../src/assistant/types.js";
import { Metrics } from "../../src/metrics.js";
import { decodeRef, encodeRef, MAX_COMMENT_CHARS } from "../../src/pipeline/feedback.js";
import { memoryLogger } from "../support/core.js";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { testRecorder } from "../support/feedback.js";
import { RecordingPort } from "../support/recording-port.js";

/** Answers each call with the next scripted result (an error to throw, or "ok"). */
class ScriptedFeedbackClient implements FeedbackClient {
  readonly calls: FeedbackRequest[] = [];
  script: Array<Error | "ok"> = [];

  async sendFeedback(request: FeedbackRequest): Promise<{ id: string | null }> {
    this.calls.push(request);
    const next = this.script.shift() ?? "ok";
    if (next !== "ok") throw next;
    return { id: `aia_fdbk_${this.calls.length}` };
  }
}

const VOTE: Vote = {
  platform: "slack",
  voter: "T1:U1",
  answerId: "answer-1",
  sessionId: "slack__T1/C1/1",
  score: 1,
};

function setup(overrides: Parameters<typeof testRecorder>[3] = {}) {
  const client = new ScriptedFeedbackClient();
  const metrics = new Metrics();
  const { logger, lines } = memoryLogger("debug");
  const { recorder, store } = testRecorder(client, logger, metrics, { random: () => 0, ...overrides });
  const count = async (name: string) =>
    Object.fromEntries(
      (await metrics.registry.getSingleMetric(name)?.get())?.values.map((v) => [
        Object.values(v.labels).join("/"),
        v.value,
      ]) ?? [],
    );
  return { client, recorder, store, lines, count };
}

describe("FeedbackRecorder", () => {
  it("records one vote per person per answer; another person may still vote", async () => {
    const { client, recorder, count } = setup();
    expect(await recorder.record(VOTE)).toBe("recorded");
    expect(await recorder.record({ ...VOTE, score: 0 })).toBe("already");
    expect(await recorder.record({ ...VOTE, voter: "T1:U2", score: 0 })).toBe("recorded");
    expect(client.calls).toEqual([
      { sessionId: VOTE.sessionId, score: 1 },
      { sessionId: VOTE.sessionId, score: 0 },
    ]);
    expect(await count("bridge_feedback_votes_total")).toEqual({
      "slack/1/recorded": 1,
      "slack/0/already": 1,
      "slack/0/recorded": 1,
    });
  });

  it("forgets a vote that could not be saved, so the person can try again", async () => {
    const { client, recorder, lines } = setup();
    client.script = [new AssistantApiError("Twilio answered HTTP 500", 500, 20500)];
    expect(await recorder.record(VOTE)).toBe("failed");
    expect(lines.join("")).toContain("feedback could not be recorded");
    expect(await recorder.record(VOTE)).toBe("recorded");
    expect(client.calls).toHaveLength(2);
  });

  it("retries a 429 after its Retry-After, but never a timeout (it may have been saved)", async () => {
    const { client, recorder, count } = setup();
    client.script = [new RateLimitedError("slow down", 429, 20429, 5)];
    expect(await recorder.record(VOTE)).toBe("recorded");
    expect(client.calls).toHaveLength(2);

    client.script = [new AssistantNetworkError("the assistant did not answer in time", "timeout")];
    expect(await recorder.record({ ...VOTE, voter: "T1:U2" })).toBe("failed");
    expect(client.calls).toHaveLength(3);
    expect(await count("bridge_feedback_calls_total")).toEqual({ ok: 1, retried: 1, failed: 1 });
  });

  it("gives up after maxRetries", async () => {
    const { client, recorder } = setup({ maxRetries: 1 });
    const never = () => new AssistantNetworkError("refused", "refused");
    client.script = [never(), never(), never()];
    expect(await recorder.record(VOTE)).toBe("failed");
    expect(client.calls).toHaveLength(2);
  });

  it("sends nothing while the store is down", async () => {
    const { client, recorder, store } = setup();
    store.down = true;
    expect(await recorder.record(VOTE)).toBe("unavailable");
    expect(client.calls).toEqual([]);
  });

  it("sends a comment trimmed and cut to the limit, and none when it is blank", async () => {
    const { client, recorder } = setup();
    await recorder.record({ ...VOTE, score: 0, text: `  ${"x".repeat(MAX_COMMENT_CHARS + 50)}  ` });
    await recorder.record({ ...VOTE, voter: "T1:U2", score: 0, text: "   " });
    expect(client.calls[0]?.text).toBe("x".repeat(MAX_COMMENT_CHARS));
    expect(client.calls[1]).toEqual({ sessionId: VOTE.sessionId, score: 0 });
  });

  it("packs a click payload inline when it fits, else keeps the session in the store", async () => {
    const { recorder, store } = setup();
    const ref = { answerId: "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", sessionId: "discord__G/C/T".repeat(5) };
    const inline = await recorder.pack(ref, 200);
    expect(inline).toBe(encodeRef(ref));
    expect(decodeRef(inline)).toEqual(ref);
    store.down = true; // an inline payload needs no store
    expect(await recorder.unpack(inline)).toEqual(ref);
    store.down = false;

    const short = await recorder.pack(ref, 95);
    expect(short).toBe(ref.answerId);
    expect(await recorder.unpack(short)).toEqual(ref);
    expect(await recorder.unpack("unknown-answer")).toBeNull();
    expect(await recorder.unpack("")).toBeNull();
  });

  it("runs its calls through the schedule it is given, behind the questions already queued", async () => {
    const queue = new PQueue({ concurrency: 1 });
    const order: string[] = [];
    const { recorder, client } = setup({
      schedule: (task) => queue.add(() => task(new AbortController().signal)),
    });
    const question = queue.add(async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      order.push("question");
    });
    const vote = recorder.record(VOTE).then((result) => order.push(`feedback ${result}`));
    await Promise.all([question, vote]);
    expect(order).toEqual(["question", "feedback recorded"]);
    expect(client.calls).toHaveLength(1);
  });
});

describe("Bridge with feedback buttons", () => {
  it("gives answers and flagged answers a FeedbackRef with the session Twilio returned, notices none", async () => {
    const { bridge, assistant, submit } = fakeBridge({}, 4000, { feedback: true });
    assistant.respond = async (request) =>
      request.body === "bad"
        ? { kind: "failure", error: "x", sessionId: null }
        : {
            kind: request.body === "risky" ? "flagged" : "answer",
            body: "ok",
            sessionId: `webhook:${request.sessionId}`,
          };
    const port = new RecordingPort();
    for (const text of ["hello", "risky", "bad"]) await submit(message({ text }), port);
    const [answer, flagged, failure] = await port.waitFor(3);
    const sessionId = assistant.calls[0]?.request.sessionId;
    expect(answer?.feedback).toEqual({ sessionId: `webhook:${sessionId}`, answerId: answer?.requestId });
    expect(flagged?.kind).toBe("flagged");
    expect(flagged?.feedback?.answerId).toBe(flagged?.requestId);
    expect(failure?.feedback).toBeNull();
    await bridge.stop(0);
  });

  it("gives no FeedbackRef when feedback is off", async () => {
    const { bridge, submit } = fakeBridge();
    const port = new RecordingPort();
    await submit(message(), port);
    const [answer] = await port.waitFor(1);
    expect(answer?.kind).toBe("answer");
    expect(answer?.feedback).toBeNull();
    await bridge.stop(0);
  });
});
