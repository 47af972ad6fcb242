import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { deferred, fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const ok = { kind: "answer" as const, body: "ok", sessionId: null };

describe("backpressure and input limits", () => {
  it("answers at once with a busy notice past QUEUE_MAX_PENDING, and takes messages again once there is room", async () => {
    const { submit, assistant, metrics } = fakeBridge({ maxPending: 2 });
    const hold = deferred<typeof ok>();
    assistant.respond = () => hold.promise;
    const port = new RecordingPort();
    expect(await submit(message({ thread: "a", user: "U1" }), port)).toBe("queued");
    expect(await submit(message({ thread: "b", user: "U2" }), port)).toBe("queued");
    expect(await submit(message({ thread: "c", user: "U3" }), port)).toBe("rejected");
    await vi.advanceTimersByTimeAsync(0);
    expect(port.replies.map((r) => r.kind)).toEqual(["busy"]);
    expect(port.replies[0]?.text).toContain("try again shortly");

    hold.resolve(ok);
    await vi.runAllTimersAsync();
    expect(await submit(message({ thread: "d" }), port)).toBe("queued");
    await vi.runAllTimersAsync();
    expect(port.replies.map((r) => r.kind)).toEqual(["busy", "answer", "answer", "answer"]);
    expect((await metrics.rejections.get()).values).toEqual([
      expect.objectContaining({ labels: { platform: "slack", reason: "busy" }, value: 1 }),
    ]);
  });

  it("limits one user's backlog without holding up other users", async () => {
    const { submit, assistant } = fakeBridge({ maxPendingPerUser: 2 });
    const hold = deferred<typeof ok>();
    assistant.respond = () => hold.promise;
    const port = new RecordingPort();
    expect(await submit(message({ user: "U1" }), port)).toBe("queued");
    expect(await submit(message({ user: "U1" }), port)).toBe("queued");
    expect(await submit(message({ user: "U1" }), port)).toBe("rejected");
    expect(await submit(message({ user: "U2" }), port)).toBe("queued");
    hold.resolve(ok);
    await vi.runAllTimersAsync();
    expect(port.replies.map((r) => r.kind).sort()).toEqual(["answer", "answer", "answer", "busy"]);
  });

  it("refuses input over ASSISTANT_MAX_INPUT_CHARS with a notice naming the limit, without calling the assistant", async () => {
    const { submit, assistant } = fakeBridge({}, 1200);
    const port = new RecordingPort();
    expect(await submit(message({ text: "x".repeat(1201) }), port)).toBe("rejected");
    expect(await submit(message({ text: "x".repeat(1200) }), port)).toBe("queued");
    await vi.runAllTimersAsync();
    expect(port.replies[0]).toMatchObject({ kind: "too_long" });
    expect(port.replies[0]?.text).toContain("1,200 characters");
    expect(assistant.calls).toHaveLength(1);
  });
});

describe("dedupe", () => {
  it("makes at most one assistant call per platform message", async () => {
    const { submit, assistant, metrics } = fakeBridge();
    const port = new RecordingPort();
    const original = message({ id: "T1/C1/111.222" });
    expect(await submit(original, port)).toBe("queued");
    expect(await submit({ ...original }, port)).toBe("duplicate");
    expect(await submit({ ...original, platform: "discord" }, port)).toBe("queued");
    await vi.runAllTimersAsync();
    expect(assistant.calls).toHaveLength(2);
    expect((await metrics.dedupeHits.get()).values[0]?.value).toBe(1);
  });

  it("remembers a message for at least 10 minutes, then forgets it", async () => {
    const { submit, assistant } = fakeBridge();
    const port = new RecordingPort();
    const original = message({ id: "T1/C1/333.444" });
    void submit(original, port);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(await submit({ ...original }, port)).toBe("duplicate");
    await vi.advanceTimersByTimeAsync(6 * 60_000);
    expect(await submit({ ...original }, port)).toBe("queued");
    await vi.runAllTimersAsync();
    expect(assistant.calls).toHaveLength(2);
  });
});
