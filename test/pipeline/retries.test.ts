import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AssistantApiError, AssistantNetworkError, RateLimitedError } from "../../src/assistant/errors.js";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const ok = { kind: "answer" as const, body: "ok", sessionId: null };

describe("retries", () => {
  it("pauses the whole queue for Retry-After after a 429, then retries the same message", async () => {
    const { submit, assistant, metrics } = fakeBridge();
    let first = true;
    assistant.respond = async (request) => {
      if (request.body === "A" && first) {
        first = false;
        throw new RateLimitedError("429", 429, 20429, 2000);
      }
      return ok;
    };
    const port = new RecordingPort();
    void submit(message({ thread: "a", text: "A" }), port);
    await vi.advanceTimersByTimeAsync(10);
    void submit(message({ thread: "b", text: "B" }), port);
    await vi.advanceTimersByTimeAsync(1900);
    expect(assistant.calls.map((c) => c.request.body)).toEqual(["A"]);

    await vi.runAllTimersAsync();
    const [, retry, other] = assistant.calls;
    expect(retry?.request.body).toBe("A");
    expect(retry?.startedAt).toBeGreaterThanOrEqual(2000);
    expect(other?.request.body).toBe("B");
    expect(port.replies.map((r) => r.kind)).toEqual(["answer", "answer"]);
    expect(
      (await metrics.assistantCalls.get()).values.find((v) => v.labels.outcome === "rate_limited")?.value,
    ).toBe(1);
  });

  it("backs off exponentially when a 429 has no Retry-After, and gives up after the retry budget", async () => {
    const { submit, assistant } = fakeBridge({ maxRetries: 2 });
    assistant.respond = async () => {
      throw new RateLimitedError("429", 429, null, null);
    };
    const port = new RecordingPort();
    void submit(message(), port);
    await vi.runAllTimersAsync();
    const starts = assistant.calls.map((c) => c.startedAt);
    expect(starts).toHaveLength(3);
    // random() is 0.5 in fakeBridge: delays are 0.75 × 500 ms, then 0.75 × 1000 ms.
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBe(375);
    expect((starts[2] ?? 0) - (starts[1] ?? 0)).toBe(750);
    expect(port.replies).toHaveLength(1);
    expect(port.replies[0]).toMatchObject({ kind: "failure" });
    expect(port.replies[0]?.text).toContain(`(ref ${port.replies[0]?.requestId.slice(0, 8)})`);
  });

  it("retries a request that never left this host", async () => {
    const { submit, assistant } = fakeBridge();
    let failures = 1;
    assistant.respond = async () => {
      if (failures-- > 0) throw new AssistantNetworkError("refused", "refused");
      return ok;
    };
    const port = new RecordingPort();
    void submit(message(), port);
    await vi.runAllTimersAsync();
    expect(assistant.calls).toHaveLength(2);
    expect(port.replies.map((r) => r.kind)).toEqual(["answer"]);
  });

  it.each([
    ["a timeout", new AssistantNetworkError("timeout", "timeout"), "took too long"],
    ["a connection reset", new AssistantNetworkError("reset", "reset"), "could not answer"],
    ["a 5xx", new AssistantApiError("500", 500, 20500), "could not answer"],
  ])("does not retry %s (an assistant turn may exist) and tells the user", async (_name, error, words) => {
    const { submit, assistant } = fakeBridge();
    assistant.respond = async () => {
      throw error;
    };
    const port = new RecordingPort();
    void submit(message(), port);
    await vi.runAllTimersAsync();
    expect(assistant.calls).toHaveLength(1);
    expect(port.replies).toHaveLength(1);
    expect(port.replies[0]?.kind).toBe("failure");
    expect(port.replies[0]?.text).toContain(words);
  });

  it("turns flagged, aborted and failed answers into their reply kinds, and the session goes on", async () => {
    const { submit, assistant } = fakeBridge();
    const outcomes = [
      { kind: "flagged" as const, body: "hmm", sessionId: null },
      { kind: "aborted" as const, error: null, sessionId: null },
      { kind: "failure" as const, error: "tool failed", sessionId: null },
      ok,
    ];
    assistant.respond = async () => outcomes.shift() ?? ok;
    const port = new RecordingPort();
    for (let i = 0; i < 4; i++) void submit(message(), port);
    await vi.runAllTimersAsync();
    expect(port.replies.map((r) => r.kind)).toEqual(["flagged", "aborted", "failure", "answer"]);
    expect(port.replies[0]?.text).toBe("hmm");
    expect(port.replies[1]?.text).toContain("stopped before finishing");
  });
});
