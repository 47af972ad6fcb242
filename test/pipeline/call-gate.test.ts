import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CallGate, LeaseLostError, ShutdownError } from "../../src/pipeline/call-gate.js";
import { MemoryStore } from "../../src/state/memory-store.js";
import { entry } from "../state/contract.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function gate(queue: { concurrency?: number; rateLimit?: number; rateIntervalMs?: number } = {}) {
  const store = new MemoryStore();
  const graceOver = new AbortController();
  const calls = new CallGate({
    store,
    queue: { concurrency: 10, rateLimit: 1_000, rateIntervalMs: 1_000, ...queue },
    storeStep: (_operation, call) => call(),
    graceOver: graceOver.signal,
  });
  return { gate: calls, store, graceOver };
}

/** A call that runs until `finish` is called; `started` says whether it left. */
function call(value = "done") {
  let finish = () => {};
  const state = { started: false, signal: null as AbortSignal | null };
  const start = (signal: AbortSignal) => {
    state.started = true;
    state.signal = signal;
    return new Promise<string>((resolve) => {
      finish = () => resolve(value);
    });
  };
  return { start, state, finish: () => finish() };
}

/** True when a call run now leaves exactly `ms` later: not a millisecond sooner. */
async function startsAfter(calls: CallGate, ms: number): Promise<boolean> {
  const next = call();
  const done = calls.run("question", undefined, next.start);
  await vi.advanceTimersByTimeAsync(ms - 1);
  const early = next.state.started;
  await vi.advanceTimersByTimeAsync(1);
  next.finish();
  await done;
  return !early && next.state.started;
}

describe("CallGate", () => {
  it("starts waiting calls by priority: retries, then questions, then feedback", async () => {
    const { gate: calls } = gate({ concurrency: 1 });
    const order: string[] = [];
    const first = call();
    const running = calls.run("question", undefined, first.start);
    await vi.advanceTimersByTimeAsync(0);
    const waiting = (["feedback", "question", "retry"] as const).map((priority) =>
      calls.run(priority, undefined, async () => {
        order.push(priority);
      }),
    );
    first.finish();
    await Promise.all([running, ...waiting]);
    expect(order).toEqual(["retry", "question", "feedback"]);
  });

  it("holds a call past the shared window's limit until the window has room", async () => {
    const { gate: calls } = gate({ rateLimit: 1, rateIntervalMs: 60_000 });
    await calls.run("question", undefined, async () => "first");
    expect(await startsAfter(calls, 60_000)).toBe(true);
  });

  it("pauses every start for the back-off Twilio asked for", async () => {
    const { gate: calls } = gate();
    await calls.pause(5_000);
    expect(await startsAfter(calls, 5_000)).toBe(true);
  });

  it("never starts a fenced call whose lease is lost", async () => {
    const { gate: calls } = gate();
    const forged = { sessionId: "slack__T1/C1/nobody", token: "forged" };
    const lost = call();
    await expect(calls.run("question", forged, lost.start)).rejects.toBeInstanceOf(LeaseLostError);
    expect(lost.state.started).toBe(false);
  });

  it("marks the session's message started in the step that grants the call", async () => {
    const { gate: calls, store } = gate();
    await store.accept(entry("t1"), { maxPending: 10, maxPendingPerUser: 10, dedupeTtlMs: 60_000 });
    const claim = await store.claim(["slack"], 30_000);
    if (claim === null) throw new Error("nothing to claim");
    await calls.run("question", claim.lease, async () => "sent");
    await store.release(claim.lease);
    expect((await store.claim(["slack"], 30_000))?.head.phase).toBe("started");
  });

  it("leaves calls that have not started to others, and lets the started one finish", async () => {
    const { gate: calls } = gate({ concurrency: 1 });
    const started = call("finished");
    const running = calls.run("question", undefined, started.start);
    await vi.advanceTimersByTimeAsync(0);
    const queued = call();
    const waiting = calls.run("question", undefined, queued.start);
    calls.leaveUnstarted(new ShutdownError("leaving"));
    await expect(waiting).rejects.toBeInstanceOf(ShutdownError);
    expect(calls.closed).toBe(true);
    started.finish();
    expect(await running).toBe("finished");
    expect(queued.state.started).toBe(false);
    await expect(calls.run("feedback", undefined, async () => "late")).rejects.toBeInstanceOf(ShutdownError);
  });

  it("hands every call the grace signal, and rejects every caller when the grace time is over", async () => {
    const { gate: calls, graceOver } = gate({ concurrency: 1 });
    const inFlight = call();
    const running = calls.run("question", undefined, inFlight.start);
    await vi.advanceTimersByTimeAsync(0);
    const queued = call();
    const waiting = calls.run("question", undefined, queued.start);
    const reason = new ShutdownError("shutting down");
    graceOver.abort(reason);
    calls.cancel(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(running).rejects.toBe(reason);
    expect(inFlight.state.signal?.aborted).toBe(true);
    expect(queued.state.started).toBe(false);
  });
});
