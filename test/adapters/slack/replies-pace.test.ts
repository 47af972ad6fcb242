import { describe, expect, test } from "vitest";
import { RepliesPace } from "../../../adapters/slack/replies-pace.js";
import { mentionEvent, nextTs } from "../../support/slack-events.js";
import { type SlackHarness, type SlackHarnessOptions, useSlackHarness } from "../../support/slack-harness.js";

/** A pace on a clock the test moves; `waited` records what turn() asked to wait. */
function paced(perMinute: number) {
  let now = 0;
  const waited: number[] = [];
  const pace = new RepliesPace({ perMinute, now: () => now });
  const wait = async (ms: number) => {
    waited.push(ms);
    now += ms;
    return true;
  };
  return { pace, waited, wait, advance: (ms: number) => (now += ms) };
}

describe("RepliesPace", () => {
  test("a minute's calls go at once; then a caller that would not wait does without", () => {
    const { pace, advance } = paced(3);
    expect([pace.tryTake(), pace.tryTake(), pace.tryTake(), pace.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    advance(20_000);
    expect([pace.tryTake(), pace.tryTake()]).toEqual([true, false]);
  });

  test("a waiting caller gets the next call the budget has", async () => {
    const { pace, waited, wait } = paced(1);
    expect(pace.tryTake()).toBe(true);
    expect(await pace.turn(wait)).toBe(true);
    expect(waited.reduce((a, b) => a + b, 0)).toBe(60_000);
  });

  test("a 429 holds every call for its Retry-After, whoever met it", async () => {
    const { pace, waited, wait, advance } = paced(50);
    pace.limited(120_000);
    expect(pace.tryTake()).toBe(false);
    expect(pace.limitedForMs()).toBe(120_000);
    expect(await pace.turn(wait)).toBe(true);
    expect(waited).toEqual([120_000]);
    // A shorter Retry-After never shortens a longer one.
    pace.limited(60_000);
    pace.limited(1_000);
    advance(30_000);
    expect(pace.limitedForMs()).toBe(30_000);
  });

  test("a caller that would not wait never goes before one that waits", async () => {
    const { pace, advance } = paced(1);
    expect(pace.tryTake()).toBe(true);
    let wake = (_: boolean) => {};
    const waiting = pace.turn(() => new Promise<boolean>((resolve) => (wake = resolve)));
    advance(60_000);
    expect(pace.tryTake()).toBe(false);
    wake(true);
    expect(await waiting).toBe(true);
  });

  test("a caller that gives up its wait gives up its turn", async () => {
    const { pace } = paced(1);
    pace.tryTake();
    expect(await pace.turn(async () => false)).toBe(false);
  });

  test("rejects a pace that is not positive", () => {
    expect(() => new RepliesPace({ perMinute: 0 })).toThrow(/must be positive, got 0/);
  });
});

const start = useSlackHarness();
const LIMITS = { maxMessages: 20, maxChars: 4_000 };
const SKIPPED = "could not read the thread's earlier messages; the question goes alone";
const GAVE_UP = "gave up on a slack post: it timed out and its thread could not show whether it was made";

/** Threads with context on, posts that time out fast and give up within a second. */
const withContext = (options: SlackHarnessOptions = {}) =>
  start({
    users: { U0ANA: { name: "ana" } },
    core: { threadContext: LIMITS },
    adapter: { hangBudgetMs: 1_000, posting: { attemptTimeoutMs: 300, checkDelayMs: 50 } },
    ...options,
  });

const logged = (h: SlackHarness, msg: string) =>
  h.core.logLines.filter((line) => (JSON.parse(line) as { msg?: string }).msg === msg).length;
const bodies = (h: SlackHarness) => h.core.simulator.received.map((request) => request.body);

const until = async (check: () => boolean, timeoutMs = 5_000) => {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** A mention in the middle of a thread with one earlier message: its session reads the thread. */
async function askInThread(h: SlackHarness, text: string): Promise<void> {
  const root = nextTs();
  h.api.seedThread("C0TALK", root, [{ type: "message", user: "U0ANA", text: "earlier", ts: root }]);
  const answers = h.api.messages.length;
  await h.deliver(mentionEvent({ channel: "C0TALK", thread_ts: root, text: `<@U0BOT> ${text}` }));
  await until(() => h.api.messages.length > answers);
}

/** A question whose answer Slack posts but answers 500: the poster must look it up. */
async function askWithTimedOutPost(h: SlackHarness, text: string): Promise<void> {
  h.api.httpError("chat.postMessage", 500, 1, true);
  await h.deliver(mentionEvent({ channel: "C0POSTS", text: `<@U0BOT> ${text}` }));
}

describe("conversations.replies: one pace for look-ups and thread context (real Bolt, Web API double)", () => {
  test("a 429 met by a post's look-up makes the next context read skip at once", async () => {
    const h = await withContext();
    h.api.rateLimit("conversations.replies", 1, 600);
    await askWithTimedOutPost(h, "timed out");
    await until(() => logged(h, GAVE_UP) === 1);

    await askInThread(h, "with context?");
    expect(bodies(h)).toEqual(["timed out", "with context?"]);
    expect(logged(h, SKIPPED)).toBe(1);
    expect(h.api.callsTo("conversations.replies").map((call) => call.status)).toEqual([429]);
  });

  test("a 429 met by a context read makes the next look-up wait for its Retry-After", async () => {
    const h = await withContext({
      adapter: { hangBudgetMs: 10_000, posting: { attemptTimeoutMs: 300, checkDelayMs: 50 } },
    });
    h.api.rateLimit("conversations.replies", 1, 2);
    await askInThread(h, "limited read");
    const limitedAt = performance.now();
    expect(logged(h, SKIPPED)).toBe(1);

    await askWithTimedOutPost(h, "looked up later");
    await h.api.waitFor("conversations.replies", 2, 5_000);
    expect(performance.now() - limitedAt).toBeGreaterThanOrEqual(1_900);
    await until(() => h.api.messages.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Found by the look-up: posted once, not twice.
    expect(h.api.messages.map((m) => m.text)).toEqual([
      expect.stringContaining("limited read"),
      expect.stringContaining("looked up later"),
    ]);
    expect(h.api.callsTo("conversations.replies").map((call) => call.status)).toEqual([429, 200]);
  });

  test("together they stay within SLACK_LOOKUPS_PER_MINUTE", async () => {
    const h = await withContext({ slack: { lookupsPerMinute: 2 } });
    await askInThread(h, "first read");
    await askWithTimedOutPost(h, "first look-up");
    await h.api.waitFor("conversations.replies", 2);

    // The minute's budget is spent: the read does without, the look-up waits until its post gives up.
    await askInThread(h, "second read");
    await askWithTimedOutPost(h, "second look-up");
    await until(() => logged(h, GAVE_UP) === 1);
    expect(h.api.callsTo("conversations.replies")).toHaveLength(2);
    expect(logged(h, SKIPPED)).toBe(1);
    expect(bodies(h)[0]).toContain("earlier");
    expect(bodies(h).slice(1)).toEqual(["first look-up", "second read", "second look-up"]);
  });
});
