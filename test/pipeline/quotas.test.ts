import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AssistantApiError } from "../../src/assistant/errors.js";
import type { QuotaConfig } from "../../src/quotas.js";
import { MemoryStore } from "../../src/state/memory-store.js";
import { deferred, fakeBridge, message } from "../support/fake-assistant.js";
import { RecordingPort } from "../support/recording-port.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const HOUR_MS = 3_600_000;

function quotas(fields: Partial<QuotaConfig>): QuotaConfig {
  return { perPerson: null, perWorkspace: null, exemptUsers: new Set(), ...fields };
}

/** A memory store on a clock the test moves. */
function storeWithClock() {
  const clock = { now: 1_700_000_000_000 };
  return { clock, store: new MemoryStore({ now: () => clock.now }) };
}

describe("usage quotas in the pipeline", () => {
  it("answers up to the quota, then refuses with a notice and no assistant call, until the window has room", async () => {
    const { clock, store } = storeWithClock();
    const { submit, assistant } = fakeBridge({}, 4000, {
      store,
      quotas: quotas({ perPerson: { limit: 2, unit: "hour" } }),
    });
    const port = new RecordingPort();
    expect(await submit(message({ thread: "a" }), port)).toBe("queued");
    clock.now += 20 * 60_000;
    expect(await submit(message({ thread: "b" }), port)).toBe("queued");
    clock.now += 20 * 60_000;
    expect(await submit(message({ thread: "c" }), port)).toBe("rejected");
    await vi.runAllTimersAsync();
    expect(assistant.calls).toHaveLength(2);
    const refusal = port.replies.find((reply) => reply.kind === "over_quota");
    // The first question leaves the last hour in 20 minutes.
    expect(refusal?.text).toBe(
      "You've reached your limit of 2 questions an hour, so I didn't pass this one on. You can ask again in 20 minutes.",
    );
    expect(refusal?.quiet).toBeUndefined();
    clock.now += 20 * 60_000;
    expect(await submit(message({ thread: "d" }), port)).toBe("queued");
  });

  it("counts a day as the last 24 hours", async () => {
    const { clock, store } = storeWithClock();
    const { submit } = fakeBridge({}, 4000, {
      store,
      quotas: quotas({ perPerson: { limit: 1, unit: "day" } }),
    });
    const port = new RecordingPort();
    expect(await submit(message(), port)).toBe("queued");
    clock.now += 21 * HOUR_MS;
    expect(await submit(message(), port)).toBe("rejected");
    await vi.runAllTimersAsync();
    expect(port.replies.find((reply) => reply.kind === "over_quota")?.text).toContain(
      "limit of 1 question a day, so I didn't pass this one on. You can ask again in 3 hours.",
    );
    clock.now += 3 * HOUR_MS;
    expect(await submit(message(), port)).toBe("queued");
  });

  it("does not count questions refused as busy or too long", async () => {
    const { submit, assistant } = fakeBridge({ maxPendingPerUser: 1 }, 100, {
      quotas: quotas({ perPerson: { limit: 2, unit: "hour" } }),
    });
    const hold = deferred<{ kind: "answer"; body: string; sessionId: null }>();
    assistant.respond = () => hold.promise;
    const port = new RecordingPort();
    expect(await submit(message({ thread: "a" }), port)).toBe("queued");
    expect(await submit(message({ thread: "b" }), port)).toBe("rejected");
    expect(await submit(message({ thread: "c", text: "x".repeat(101) }), port)).toBe("rejected");
    hold.resolve({ kind: "answer", body: "ok", sessionId: null });
    await vi.runAllTimersAsync();
    expect(await submit(message({ thread: "d" }), port)).toBe("queued");
    expect(await submit(message({ thread: "e" }), port)).toBe("rejected");
    await vi.runAllTimersAsync();
    // The refusal of "e" may be posted before the answer to "d": compare as sets.
    expect(port.replies.map((reply) => reply.kind).sort()).toEqual([
      "answer",
      "answer",
      "busy",
      "over_quota",
      "too_long",
    ]);
  });

  it("counts a question whose call failed for the assistant's reasons (it may have been billed)", async () => {
    const { submit, assistant } = fakeBridge({}, 4000, {
      quotas: quotas({ perPerson: { limit: 1, unit: "hour" } }),
    });
    assistant.respond = async () => {
      throw new AssistantApiError("bad request", 400, null);
    };
    const port = new RecordingPort();
    expect(await submit(message(), port)).toBe("queued");
    await vi.runAllTimersAsync();
    expect(await submit(message(), port)).toBe("rejected");
    await vi.runAllTimersAsync();
    expect(port.replies.map((reply) => reply.kind)).toEqual(["failure", "over_quota"]);
  });

  it("never limits the terminal chat or exempt users", async () => {
    const { submit, assistant } = fakeBridge({}, 4000, {
      quotas: quotas({
        perPerson: { limit: 1, unit: "hour" },
        perWorkspace: { limit: 1, unit: "hour" },
        exemptUsers: new Set(["BOSS"]),
      }),
    });
    const port = new RecordingPort();
    for (let i = 0; i < 3; i++) {
      expect(await submit(message({ platform: "console", workspace: "local", user: "me" }), port)).toBe(
        "queued",
      );
      expect(await submit(message({ user: "BOSS" }), port)).toBe("queued");
    }
    await vi.runAllTimersAsync();
    expect(assistant.calls).toHaveLength(6);
  });

  it("marks later refusals in the same channel quiet, counts each, and tells them all in a DM", async () => {
    const { submit, metrics } = fakeBridge({}, 4000, {
      quotas: quotas({ perPerson: { limit: 1, unit: "hour" } }),
    });
    const port = new RecordingPort();
    await submit(message(), port);
    await submit(message({ thread: "x" }), port);
    await submit(message({ thread: "y" }), port);
    await submit(message({ channel: "D1", direct: true }), port);
    await submit(message({ channel: "D1", direct: true }), port);
    await vi.runAllTimersAsync();
    const refusals = port.replies.filter((reply) => reply.kind === "over_quota");
    expect(refusals.map((reply) => reply.quiet ?? false)).toEqual([false, true, false, false]);
    expect((await metrics.quotaRefusals.get()).values).toEqual([
      expect.objectContaining({ labels: { platform: "slack", kind: "person" }, value: 4 }),
    ]);
  });
});
