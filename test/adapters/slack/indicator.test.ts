import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { type SlackCaller, SlackPlatformError, SlackRateLimitedError } from "../../../adapters/slack/api.js";
import { type IndicatorTarget, WorkingIndicator } from "../../../adapters/slack/indicator.js";
import { memoryLogger } from "../../support/core.js";

const rateLimited = (seconds: number) => new SlackRateLimitedError("reactions.add", seconds * 1000);

/** A question in a channel: the indicator is a reaction on it. */
const inChannel = (ts: string): IndicatorTarget => ({ team: "T1", channel: "C1", thread: ts, ts, dm: false });
/** A question in a DM of workspace `team`: the indicator is the thread's status. */
const inDm = (ts: string, team = "T1"): IndicatorTarget => ({
  team,
  channel: "D1",
  thread: ts,
  ts,
  dm: true,
});

function indicator(
  overrides: {
    add?: () => Promise<unknown>;
    remove?: () => Promise<unknown>;
    setStatus?: (args: { status: string }) => Promise<unknown>;
    perMinute?: number;
  } = {},
) {
  const calls: string[] = [];
  const statuses: Array<{
    channel_id: string;
    thread_ts: string;
    status: string;
    loading_messages?: string[];
  }> = [];
  // The Web API transport, answering the only methods the indicator calls.
  const call: SlackCaller = async (method, args) => {
    if (method === "reactions.add" || method === "reactions.remove") {
      const name = method === "reactions.add" ? "add" : "remove";
      calls.push(name);
      await overrides[name]?.();
      return { ok: true };
    }
    if (method !== "assistant.threads.setStatus") throw new Error(`unexpected call ${method}`);
    const { loading_messages: loading, ...rest } = args as Record<string, string>;
    const status = {
      ...(rest as Omit<(typeof statuses)[number], "loading_messages">),
      ...(loading === undefined ? {} : { loading_messages: JSON.parse(loading) as string[] }),
    };
    calls.push(status.status === "" ? "clear" : "status");
    statuses.push(status);
    await overrides.setStatus?.(status);
    return { ok: true };
  };
  const working = new WorkingIndicator({
    call,
    logger: memoryLogger("silent").logger,
    delayMs: 1000,
    statusRefreshMs: 100_000,
    ...(overrides.perMinute === undefined ? {} : { perMinute: overrides.perMinute }),
  });
  return { working, calls, statuses };
}

const refused = (error: string) => new SlackPlatformError("reactions.add", error);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

test("an answer faster than the delay costs no call at all", async () => {
  const { working, calls } = indicator();
  const stop = working.start(inChannel("1.1"));
  await vi.advanceTimersByTimeAsync(999);
  await stop();
  await vi.advanceTimersByTimeAsync(5000);
  expect(calls).toEqual([]);
});

test("a slow answer adds the reaction after the delay and removes it at the end", async () => {
  const { working, calls } = indicator();
  const stop = working.start(inChannel("1.1"));
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
  const stop = working.start(inChannel("1.1"));
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
  const stop = working.start(inChannel("1.1"));
  await vi.advanceTimersByTimeAsync(1000);
  await stop();
  expect(calls).toEqual(["add", "remove"]);
  await vi.advanceTimersByTimeAsync(7000);
  expect(calls).toEqual(["add", "remove", "remove"]);
});

test("a rate-limited add pauses the indicator for Retry-After", async () => {
  const { working, calls } = indicator({ add: async () => Promise.reject(rateLimited(30)) });
  await vi.advanceTimersByTimeAsync(0);
  const first = working.start(inChannel("1.1"));
  await vi.advanceTimersByTimeAsync(1000);
  await first();
  const second = working.start(inChannel("1.2"));
  await vi.advanceTimersByTimeAsync(1000);
  await second();
  expect(calls).toEqual(["add"]);
  await vi.advanceTimersByTimeAsync(30_000);
  const third = working.start(inChannel("1.3"));
  await vi.advanceTimersByTimeAsync(1000);
  await third();
  expect(calls).toEqual(["add", "add"]);
});

test("a burst of slow answers shows at most perMinute indicators, then one more per refill", async () => {
  const { working, calls } = indicator({ perMinute: 2 });
  const burst = ["1.1", "1.2", "1.3"].map((ts) => working.start(inChannel(ts)));
  await vi.advanceTimersByTimeAsync(1000);
  expect(calls).toEqual(["add", "add"]);
  await Promise.all(burst.map((stop) => stop()));
  expect(calls).toEqual(["add", "add", "remove", "remove"]);
  // Two a minute: one token back 30 s after the burst's (at 1 s); this one asks at 30 s.
  await vi.advanceTimersByTimeAsync(28_000);
  const early = working.start(inChannel("1.4"));
  await vi.advanceTimersByTimeAsync(1000);
  await early();
  expect(calls.filter((call) => call === "add")).toHaveLength(2);
  await vi.advanceTimersByTimeAsync(30_000);
  const later = working.start(inChannel("1.5"));
  await vi.advanceTimersByTimeAsync(1000);
  await later();
  expect(calls.filter((call) => call === "add")).toHaveLength(3);
});

test("close cancels indicators not shown yet", async () => {
  const { working, calls } = indicator();
  working.start(inChannel("1.1"));
  working.close();
  await vi.advanceTimersByTimeAsync(5000);
  expect(calls).toEqual([]);
});

test("a slow DM answer sets the thread's status with loading messages, and the answer clears it", async () => {
  const { working, calls, statuses } = indicator();
  let posted = false;
  const stop = working.start(inDm("1.1"), () => posted);
  await vi.advanceTimersByTimeAsync(999);
  expect(calls).toEqual([]);
  await vi.advanceTimersByTimeAsync(1);
  expect(calls).toEqual(["status"]);
  expect(statuses[0]).toMatchObject({ channel_id: "D1", thread_ts: "1.1", status: "is thinking…" });
  expect(statuses[0]?.loading_messages?.length).toBeGreaterThan(1);
  posted = true;
  await stop();
  // Posting the answer cleared it on Slack's side: no call for that.
  expect(calls).toEqual(["status"]);
});

test("a DM status is set again before Slack's 2-minute expiry until the answer comes", async () => {
  const { working, calls } = indicator();
  let posted = false;
  const stop = working.start(inDm("1.1"), () => posted);
  await vi.advanceTimersByTimeAsync(1000 + 100_000);
  expect(calls).toEqual(["status", "status"]);
  await vi.advanceTimersByTimeAsync(100_000);
  expect(calls).toEqual(["status", "status", "status"]);
  posted = true;
  await vi.advanceTimersByTimeAsync(100_000);
  await stop();
  expect(calls).toEqual(["status", "status", "status"]);
});

test("a DM status is cleared explicitly when no reply was posted", async () => {
  const { working, calls } = indicator();
  const stop = working.start(inDm("1.1"), () => false);
  await vi.advanceTimersByTimeAsync(1000);
  await stop();
  expect(calls).toEqual(["status", "clear"]);
  await vi.advanceTimersByTimeAsync(300_000);
  expect(calls).toEqual(["status", "clear"]);
});

test("where Slack refuses the status, DMs of that workspace get the reaction, from then on", async () => {
  const { working, calls } = indicator({ setStatus: async () => Promise.reject(refused("not_allowed")) });
  const first = working.start(inDm("1.1"));
  await vi.advanceTimersByTimeAsync(1000);
  await first();
  expect(calls).toEqual(["status", "add", "remove"]);
  const second = working.start(inDm("1.2"));
  await vi.advanceTimersByTimeAsync(1000);
  await second();
  expect(calls).toEqual(["status", "add", "remove", "add", "remove"]);
  // Another workspace is asked for itself.
  const elsewhere = working.start(inDm("1.3", "T2"));
  await vi.advanceTimersByTimeAsync(1000);
  await elsewhere();
  expect(calls.slice(5)).toEqual(["status", "add", "remove"]);
});

test("a passing setStatus failure falls back to the reaction once, without giving up on the status", async () => {
  let failures = 1;
  const { working, calls } = indicator({
    setStatus: async () => (failures-- > 0 ? Promise.reject(refused("internal_error")) : { ok: true }),
  });
  const first = working.start(inDm("1.1"));
  await vi.advanceTimersByTimeAsync(1000);
  await first();
  const second = working.start(inDm("1.2"), () => true);
  await vi.advanceTimersByTimeAsync(1000);
  await second();
  expect(calls).toEqual(["status", "add", "remove", "status"]);
});

test("channels keep the reaction", async () => {
  const { working, calls } = indicator();
  const stop = working.start(inChannel("1.1"));
  await vi.advanceTimersByTimeAsync(1000);
  await stop();
  expect(calls).toEqual(["add", "remove"]);
});
