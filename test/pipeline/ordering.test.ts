import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("per-session order", () => {
  it("sends one session's messages one at a time, in arrival order, and replies in order", async () => {
    const { submit, assistant } = fakeBridge();
    // Earlier messages take longer, so any overlap or reordering would show.
    const delays = [500, 400, 300, 200, 100];
    assistant.respond = (request) =>
      new Promise((resolve) =>
        setTimeout(
          () => resolve({ kind: "answer", body: `re: ${request.body}`, sessionId: null }),
          delays[Number(request.body.split(" ")[1])] ?? 0,
        ),
      );
    const port = new RecordingPort();
    for (let i = 0; i < 5; i++) void submit(message({ text: `msg ${i}` }), port);

    await vi.runAllTimersAsync();

    expect(assistant.calls.map((c) => c.request.body)).toEqual(["msg 0", "msg 1", "msg 2", "msg 3", "msg 4"]);
    for (let i = 1; i < assistant.calls.length; i++) {
      const previous = assistant.calls[i - 1];
      expect(assistant.calls[i]?.startedAt).toBeGreaterThanOrEqual(
        previous?.endedAt ?? Number.POSITIVE_INFINITY,
      );
    }
    expect(port.replies.map((r) => r.text)).toEqual([
      "re: msg 0",
      "re: msg 1",
      "re: msg 2",
      "re: msg 3",
      "re: msg 4",
    ]);
  });

  it("runs different sessions side by side", async () => {
    const { submit, assistant } = fakeBridge();
    assistant.respond = () =>
      new Promise((resolve) =>
        setTimeout(() => resolve({ kind: "answer", body: "ok", sessionId: null }), 1000),
      );
    const port = new RecordingPort();
    void submit(message({ thread: "a" }), port);
    void submit(message({ thread: "b" }), port);
    await vi.advanceTimersByTimeAsync(10);
    expect(assistant.calls).toHaveLength(2);
    expect(assistant.calls.map((c) => c.request.sessionId)).toEqual(["slack__T1/C1/a", "slack__T1/C1/b"]);
    await vi.runAllTimersAsync();
    expect(port.replies).toHaveLength(2);
  });

  it("goes on with a session's next message when handling one throws unexpectedly", async () => {
    const { store, submit, assistant, logLines } = fakeBridge();
    const port = new RecordingPort();
    let first = true;
    port.startWorking = () => {
      if (!first) return async () => {};
      first = false;
      // Throws synchronously, past the .catch that handles a rejected stop.
      return () => {
        throw new Error("indicator exploded");
      };
    };
    void submit(message({ thread: "s" }), port);
    void submit(message({ thread: "s" }), port);
    await vi.runAllTimersAsync();
    expect(assistant.calls).toHaveLength(2);
    expect(port.replies).toHaveLength(2);
    expect(await store.depth()).toBe(0);
    expect(logLines.join("")).toContain("could not remove the working indicator");
  });

  it("always removes the working indicator, also when the call fails and when posting fails", async () => {
    const { store, submit, assistant } = fakeBridge();
    assistant.respond = async () => {
      throw new Error("boom");
    };
    const port = new RecordingPort();
    port.post = async (reply) => {
      port.events.push(`post:${reply.kind}`);
      throw new Error("platform refused");
    };
    void submit(message(), port);
    await vi.runAllTimersAsync();
    expect(port.events).toEqual(["working:start", "post:failure", "working:stop"]);
    expect(await store.depth()).toBe(0);
  });
});
