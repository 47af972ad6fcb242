import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** The most starts any window [t, t + interval) holds, t running over every start. */
function busiestWindow(starts: number[], intervalMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[j] ?? Number.POSITIVE_INFINITY) < (sorted[i] ?? 0) + intervalMs) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

describe("shared rate limit", () => {
  it("never starts more than the limit in any sliding window, and uses the limit fully under a backlog", async () => {
    const limit = 5;
    const interval = 1000;
    const { submit, assistant } = fakeBridge({
      rateLimit: limit,
      rateIntervalMs: interval,
      concurrency: 100,
    });
    // Answers take a varying time, so starts drift off any fixed grid.
    assistant.respond = (request) =>
      new Promise((resolve) =>
        setTimeout(() => resolve({ kind: "answer", body: "ok", sessionId: null }), request.body.length * 7),
      );
    const port = new RecordingPort();
    const total = 60;
    for (let i = 0; i < total; i++) void submit(message({ thread: `t${i}`, text: "x".repeat(i % 13) }), port);

    await vi.runAllTimersAsync();

    const starts = assistant.calls.map((c) => c.startedAt);
    expect(starts).toHaveLength(total);
    expect(busiestWindow(starts, interval)).toBe(limit);
    // Fully used: 60 starts at 5 per second need 11 s after the first; any idle window would add a second.
    const span = Math.max(...starts) - Math.min(...starts);
    expect(span).toBeLessThan((total / limit) * interval);
    expect(span).toBeGreaterThanOrEqual((total / limit - 1) * interval);
    expect(port.replies).toHaveLength(total);
  });

  it("keeps at most the configured number of calls in flight", async () => {
    const { submit, assistant } = fakeBridge({ concurrency: 3 });
    let inFlight = 0;
    let most = 0;
    assistant.respond = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 100));
      inFlight--;
      return { kind: "answer", body: "ok", sessionId: null };
    };
    const port = new RecordingPort();
    for (let i = 0; i < 12; i++) void submit(message({ thread: `t${i}` }), port);
    await vi.runAllTimersAsync();
    expect(most).toBe(3);
    expect(port.replies).toHaveLength(12);
  });

  it("runs other calls (feedback) through the same queue and window, behind the questions", async () => {
    const { bridge, submit, assistant } = fakeBridge({ rateLimit: 1, rateIntervalMs: 1000, concurrency: 1 });
    const order: string[] = [];
    assistant.respond = (request) => {
      order.push(request.body);
      // The first question holds the only slot while the rest queue up behind it.
      const delayMs = request.body === "q1" ? 500 : 0;
      return new Promise((resolve) =>
        setTimeout(() => resolve({ kind: "answer", body: "ok", sessionId: null }), delayMs),
      );
    };
    const port = new RecordingPort();
    void submit(message({ thread: "a", text: "q1" }), port);
    await vi.advanceTimersByTimeAsync(1);
    // Queued before q2, but goes after it; and each start waits for the window (1 a second).
    const feedback = bridge.behindQuestions(async () => {
      order.push("feedback");
      return Date.now();
    });
    const queuedAt = Date.now();
    void submit(message({ thread: "b", text: "q2" }), port);
    await vi.advanceTimersByTimeAsync(5000);
    expect(order).toEqual(["q1", "q2", "feedback"]);
    expect((await feedback) - queuedAt).toBeGreaterThanOrEqual(1999);
  });
});
