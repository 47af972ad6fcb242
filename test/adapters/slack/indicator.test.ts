import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { WorkingIndicator } from "../../../adapters/slack/indicator.js";
import { memoryLogger } from "../../support/core.js";

const rateLimited = (seconds: number) =>
  Object.assign(new Error("rate limited"), { code: "slack_webapi_rate_limited_error", retryAfter: seconds });

function indicator(
  overrides: { add?: () => Promise<unknown>; remove?: () => Promise<unknown>; perMinute?: number } = {},
) {
  const calls: string[] = [];
  const client = {
    reactions: {
      add: async () => {
        calls.push("add");
        return overrides.add ? overrides.add() : { ok: true };
      },
      remove: async () => {
        calls.push("remove");
        return overrides.remove ? overrides.remove() : { ok: true };
      },
    },
  };
  // A partial client: only reactions.add/remove are ever called.
  const working = new WorkingIndicator({
    client: client as never,
    logger: memoryLogger("silent").logger,
    delayMs: 1000,
    ...(overrides.perMinute === undefined ? {} : { perMinute: overrides.perMinute }),
  });
  return { working, calls };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

test("an answer faster than the delay costs no call at all", async () => {
  const { working, calls } = indicator();
  const stop = working.start("C1", "1.1");
  await vi.advanceTimersByTimeAsync(999);
  await stop();
  await vi.advanceTimersByTimeAsync(5000);
  expect(calls).toEqual([]);
});

test("a slow answer adds the reaction after the delay and removes it at the end", async () => {
  const { working, calls } = indicator();
  const stop = working.start("C1", "1.1");
  await vi.advanceTimersByTimeAsync(1000);
  expect(calls).toEqual(["add"]);
  await stop();
  expect(calls).toEqual(["add", "remove"]);
});

test("a stop while the add is still in flight waits for it, then removes", async () => {
  let finishAdd = () => {};
  const { working, calls } = indicator({
    add: () =>
      new Promise((resolve) => {
        finishAdd = () => resolve({ ok: true });
      }),
  });
  const stop = working.start("C1", "1.1");
  await vi.advanceTimersByTimeAsync(1000);
  const stopped = stop();
  finishAdd();
  await stopped;
  expect(calls).toEqual(["add", "remove"]);
});

test("a rate-limited remove is tried once more after Retry-After", async () => {
  let removes = 0;
  const { working, calls } = indicator({
    remove: async () => {
      removes++;
      if (removes === 1) throw rateLimited(7);
      return { ok: true };
    },
  });
  const stop = working.start("C1", "1.1");
  await vi.advanceTimersByTimeAsync(1000);
  await stop();
  expect(calls).toEqual(["add", "remove"]);
  await vi.advanceTimersByTimeAsync(7000);
  expect(calls).toEqual(["add", "remove", "remove"]);
});

test("a rate-limited add pauses the indicator for Retry-After", async () => {
  const { working, calls } = indicator({ add: async () => Promise.reject(rateLimited(30)) });
  await vi.advanceTimersByTimeAsync(0);
  const first = working.start("C1", "1.1");
  await vi.advanceTimersByTimeAsync(1000);
  await first();
  const second = working.start("C1", "1.2");
  await vi.advanceTimersByTimeAsync(1000);
  await second();
  expect(calls).toEqual(["add"]);
  await vi.advanceTimersByTimeAsync(30_000);
  const third = working.start("C1", "1.3");
  await vi.advanceTimersByTimeAsync(1000);
  await third();
  expect(calls).toEqual(["add", "add"]);
});

test("a burst of slow answers shows at most perMinute indicators, then one more per refill", async () => {
  const { working, calls } = indicator({ perMinute: 2 });
  const burst = ["1.1", "1.2", "1.3"].map((ts) => working.start("C1", ts));
  await vi.advanceTimersByTimeAsync(1000);
  expect(calls).toEqual(["add", "add"]);
  await Promise.all(burst.map((stop) => stop()));
  expect(calls).toEqual(["add", "add", "remove", "remove"]);
  // Two a minute: one token back 30 s after the burst's (at 1 s); this one asks at 30 s.
  await vi.advanceTimersByTimeAsync(28_000);
  const early = working.start("C1", "1.4");
  await vi.advanceTimersByTimeAsync(1000);
  await early();
  expect(calls.filter((call) => call === "add")).toHaveLength(2);
  await vi.advanceTimersByTimeAsync(30_000);
  const later = working.start("C1", "1.5");
  await vi.advanceTimersByTimeAsync(1000);
  await later();
  expect(calls.filter((call) => call === "add")).toHaveLength(3);
});

test("close cancels indicators not shown yet", async () => {
  const { working, calls } = indicator();
  working.start("C1", "1.1");
  working.close();
  await vi.advanceTimersByTimeAsync(5000);
  expect(calls).toEqual([]);
});
