import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { WorkingIndicator } from "../../../adapters/slack/indicator.js";
import { memoryLogger } from "../../support/core.js";

const rateLimited = (seconds: number) =>
  Object.assign(new Error("rate limited"), { code: "slack_webapi_rate_limited_error", retryAfter: seconds });

function indicator(overrides: { add?: () => Promise<unknown>; remove?: () => Promise<unknown> } = {}) {
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

test("close cancels indicators not shown yet", async () => {
  const { working, calls } = indicator();
  working.start("C1", "1.1");
  working.close();
  await vi.advanceTimersByTimeAsync(5000);
  expect(calls).toEqual([]);
});
