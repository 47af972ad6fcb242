import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AssistantOutcome } from "../../src/assistant/types.js";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** An answer after `ms`, or a rejection as soon as the bridge cancels the call. */
function slowAnswer(ms: number) {
  return (_request: unknown, signal?: AbortSignal) =>
    new Promise<AssistantOutcome>((resolve, reject) => {
      const timer = setTimeout(() => resolve({ kind: "answer", body: "done", sessionId: null }), ms);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new Error("cancelled"));
      });
    });
}

describe("shutdown", () => {
  it("finishes in-flight and queued work within the grace time", async () => {
    const { bridge, submit, assistant } = fakeBridge();
    assistant.respond = slowAnswer(1000);
    const port = new RecordingPort();
    void submit(message({ thread: "a" }), port);
    void submit(message({ thread: "b" }), port);
    void submit(message({ thread: "a" }), port); // queued behind the first of thread a
    await vi.advanceTimersByTimeAsync(10);

    const stopped = bridge.stop(5000);
    expect(await submit(message({ thread: "c" }), port)).toBe("stopped");
    await vi.runAllTimersAsync();

    expect(await stopped).toEqual({ drained: 3, unfinished: 0, left: 0 });
    expect(port.replies.map((r) => r.kind)).toEqual(["answer", "answer", "answer"]);
    expect(assistant.calls).toHaveLength(3);
  });

  it("past the deadline, cancels what is left and tells every such user to ask again", async () => {
    const { bridge, store, submit, assistant } = fakeBridge({ rateLimit: 1, rateIntervalMs: 60_000 });
    assistant.respond = slowAnswer(60_000);
    const port = new RecordingPort();
    void submit(message({ thread: "a" }), port); // in flight
    void submit(message({ thread: "a" }), port); // waiting behind it in its session
    void submit(message({ thread: "b" }), port); // waiting for the rate limit
    await vi.advanceTimersByTimeAsync(10);

    const stopped = bridge.stop(2000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(await stopped).toEqual({ drained: 0, unfinished: 3, left: 0 });
    expect(port.replies.map((r) => r.kind)).toEqual(["restarting", "restarting", "restarting"]);
    expect(port.replies[0]?.text).toContain("ask again");
    expect(assistant.calls).toHaveLength(1);
    expect(await store.depth()).toBe(0);
  });

  it("does not remember messages refused while stopping, so a redelivery can reach the next process", async () => {
    const { bridge, submit } = fakeBridge();
    await bridge.stop(0);
    const m = message();
    expect(await submit(m, new RecordingPort())).toBe("stopped");
    expect(await submit(m, new RecordingPort())).toBe("stopped");
  });
});
