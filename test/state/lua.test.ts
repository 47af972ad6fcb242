import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RedisKeys } from "../../src/state/keys.js";
import { openRedisClient, type RedisClient } from "../../src/state/redis-connection.js";
import { runScript, type ScriptName } from "../../src/state/scripts.js";
import { memoryLogger } from "../support/core.js";
import { useTestRedis } from "../support/redis.js";
import { entry } from "./contract.js";

const redis = useTestRedis();
let client: RedisClient;
let k: RedisKeys;

const run = (name: ScriptName, keys: string[], args: Array<string | number>) =>
  runScript(client, name, keys, args);

/** Redis server time in ms. */
async function serverNow(): Promise<number> {
  const [seconds, micros] = (await client.eval("return redis.call('TIME')", { keys: [k.pending] })) as [
    string,
    string,
  ];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

function accept(e = entry(), max = 10, maxPerUser = 10) {
  return run(
    "accept",
    [k.seen(e.key), k.pending, k.queue(e.sessionId), k.ready(e.message.platform)],
    [60_000, max, maxPerUser, e.userKey, JSON.stringify(e), e.sessionId, k.bell(e.message.platform)],
  );
}

/** record-answer.lua; `turn` is [turn JSON, chars, bound, TTL ms], or none. */
function recordAnswer(
  sessionId: string,
  token: string,
  reply: string,
  turn: Array<string | number> = ["", 0, 0, 0],
) {
  return run("record-answer", [k.session(sessionId), k.history(sessionId)], [token, reply, ...turn]);
}

function claim(token: string, leaseMs = 30_000, platforms = ["slack"]) {
  return run(
    "claim",
    [k.leases, ...platforms.map((p) => `${k.prefix}ready:${p}`)],
    [k.prefix, leaseMs, token, ...platforms],
  );
}

function complete(sessionId: string, token: string, leaseMs = 30_000) {
  return run(
    "complete",
    [k.session(sessionId), k.queue(sessionId), k.leases, k.pending],
    [token, sessionId, leaseMs],
  );
}

beforeAll(async () => {
  client = await openRedisClient({ url: redis.url(), logger: memoryLogger("silent").logger }, "test");
});
afterAll(async () => {
  client.destroy();
});
beforeEach(() => {
  k = new RedisKeys(redis.prefix());
});

/** accept.lua with one person quota of `limit` per `windowMs`, told once per channel (or always, `dm`). */
function acceptWithQuota(e: ReturnType<typeof entry>, limit: number, windowMs: number, dm = false) {
  const log = k.quotaLog("person", "slack:ann");
  const told = k.quotaTold("person", "slack:T1:C1");
  return run(
    "accept",
    [k.seen(e.key), k.pending, k.queue(e.sessionId), k.ready("slack"), log, told],
    [
      60_000,
      10,
      10,
      e.userKey,
      JSON.stringify(e),
      e.sessionId,
      k.bell("slack"),
      1,
      dm ? 1 : 0,
      limit,
      windowMs,
      "person",
    ],
  );
}

describe("accept.lua", () => {
  it("counts a queued message in each quota's log (kept one window), and refuses over it without counting", async () => {
    const first = entry("s", "ann");
    expect(await acceptWithQuota(first, 1, 60_000)).toBe("queued");
    const log = k.quotaLog("person", "slack:ann");
    expect(await client.zRange(log, 0, -1)).toEqual([k.seen(first.key)]);
    expect(await client.pTTL(log)).toBeGreaterThan(59_000);

    const refused = entry("s", "ann");
    const [over, kind, limit, resetInMs, tell] = (await acceptWithQuota(refused, 1, 60_000)) as unknown[];
    expect([over, kind, limit, tell]).toEqual(["over", "person", 1, 1]);
    expect(Number(resetInMs)).toBeGreaterThan(59_000);
    expect(Number(resetInMs)).toBeLessThanOrEqual(60_000);
    // Not queued, not counted, but remembered for dedupe; the channel is marked told for one window.
    expect(await client.zCard(log)).toBe(1);
    expect(await client.lLen(k.queue(refused.sessionId))).toBe(1);
    expect(await client.exists(k.seen(refused.key))).toBe(1);
    expect(await client.pTTL(k.quotaTold("person", "slack:T1:C1"))).toBeGreaterThan(59_000);
    expect(((await acceptWithQuota(entry("s", "ann"), 1, 60_000)) as unknown[])[4]).toBe(0);
    expect(((await acceptWithQuota(entry("s", "ann"), 1, 60_000, true)) as unknown[])[4]).toBe(1);
  });

  it("stores the entry, counts it, and makes a new session ready once", async () => {
    const first = entry("s", "ann");
    expect(await accept(first)).toBe("queued");
    expect(await accept(entry("s", "ann"))).toBe("queued");
    expect(await client.lLen(k.queue(first.sessionId))).toBe(2);
    expect(JSON.parse(String(await client.lIndex(k.queue(first.sessionId), 0)))).toEqual(first);
    expect(await client.hGetAll(k.pending)).toEqual({ all: "2", [first.userKey]: "2" });
    expect(await client.lRange(k.ready("slack"), 0, -1)).toEqual([first.sessionId]);
    expect(await client.pTTL(k.seen(first.key))).toBeGreaterThan(59_000);
  });

  it("answers duplicate for a seen key without touching anything", async () => {
    const first = entry();
    await accept(first);
    expect(await accept(first)).toBe("duplicate");
    expect(await client.hGet(k.pending, "all")).toBe("1");
  });

  it("undoes its counts on busy, keeping the dedupe key", async () => {
    await accept(entry("a", "ann"), 10, 1);
    const refused = entry("b", "ann");
    expect(await accept(refused, 10, 1)).toBe("busy");
    expect(await client.hGetAll(k.pending)).toEqual({ all: "1", [refused.userKey]: "1" });
    expect(await client.exists(k.seen(refused.key))).toBe(1);
    expect(await client.exists(k.queue(refused.sessionId))).toBe(0);
    expect(await accept(entry("c", "bob"), 1)).toBe("busy");
    expect(await client.hGetAll(k.pending)).toEqual({ all: "1", [refused.userKey]: "1" });
  });

  it("leaves no counter behind when the only message is refused", async () => {
    expect(await accept(entry(), 0)).toBe("busy");
    expect(await client.exists(k.pending)).toBe(0);
  });
});

describe("claim.lua", () => {
  it("leases the first ready session of the platforms in order, on server time", async () => {
    const discord = entry("d", "u", "discord");
    await accept(discord);
    await accept(entry("s"));
    const before = await serverNow();
    const claimed = (await claim("tok", 5000, ["discord", "slack"])) as string[];
    expect(claimed[0]).toBe(discord.sessionId);
    expect(JSON.parse(claimed[1] ?? "")).toEqual(discord);
    expect(claimed.slice(2)).toEqual(["queued", ""]);
    expect(await client.hGetAll(k.session(discord.sessionId))).toEqual({ token: "tok", platform: "discord" });
    const expiry = Number(await client.zScore(k.leases, discord.sessionId));
    expect(expiry).toBeGreaterThanOrEqual(before + 5000);
    expect(expiry).toBeLessThan(before + 6000);
  });

  it("answers nil when nothing is ready, and skips a session whose FIFO is gone", async () => {
    expect(await claim("t")).toBeNull();
    await client.rPush(k.ready("slack"), "ghost");
    await client.hSet(k.session("ghost"), "phase", "started");
    expect(await claim("t")).toBeNull();
    expect(await client.exists([k.ready("slack"), k.session("ghost")])).toBe(0);
  });
});

describe("renew-lease.lua and record-answer.lua", () => {
  it("change a session only for the holder of its token", async () => {
    const e = entry();
    await accept(e);
    await claim("mine", 1000);
    const first = Number(await client.zScore(k.leases, e.sessionId));
    expect(await run("renew-lease", [k.session(e.sessionId), k.leases], ["other", e.sessionId, 60_000])).toBe(
      0,
    );
    expect(Number(await client.zScore(k.leases, e.sessionId))).toBe(first);
    expect(await run("renew-lease", [k.session(e.sessionId), k.leases], ["mine", e.sessionId, 60_000])).toBe(
      1,
    );
    expect(Number(await client.zScore(k.leases, e.sessionId))).toBeGreaterThan(first + 50_000);

    expect(await recordAnswer(e.sessionId, "other", "{}")).toBe(0);
    expect(await client.hGet(k.session(e.sessionId), "phase")).toBeNull();
    expect(await recordAnswer(e.sessionId, "mine", '{"kind":"answer"}')).toBe(1);
    expect(await client.hGetAll(k.session(e.sessionId))).toMatchObject({
      phase: "answered",
      reply: '{"kind":"answer"}',
    });
  });
});

describe("record-answer.lua: the history", () => {
  /** Records an answer with the turn `q`/`a` under a bound of `max` characters. */
  async function answered(thread: string, q: string, a: string, max = 100, ttlMs = 60_000) {
    const { sessionId } = entry(thread);
    await accept(entry(thread, "ann"));
    await claim("tok");
    const turn = JSON.stringify({ question: q, answer: a });
    expect(await recordAnswer(sessionId, "tok", "{}", [turn, q.length + a.length, max, ttlMs])).toBe(1);
    await complete(sessionId, "tok");
  }

  it("appends each turn in order, drops whole oldest turns past the bound, and sets the TTL", async () => {
    const h = entry("h").sessionId;
    await answered("h", "q1", "a1".repeat(20));
    await answered("h", "q2", "a2".repeat(20));
    await answered("h", "q3", "a3");
    // 42 + 42 + 4 = 88 ≤ 100: all kept.
    expect(await client.lRange(k.history(h), 0, -1)).toEqual([
      `42:${JSON.stringify({ question: "q1", answer: "a1".repeat(20) })}`,
      `42:${JSON.stringify({ question: "q2", answer: "a2".repeat(20) })}`,
      `4:${JSON.stringify({ question: "q3", answer: "a3" })}`,
    ]);
    await answered("h", "q4", "a4".repeat(10));
    // 88 + 22 = 110 > 100: the oldest whole turn goes (68 left).
    expect((await client.lRange(k.history(h), 0, -1)).map((item) => item.split(":")[0])).toEqual([
      "42",
      "4",
      "22",
    ]);
    const ttl = await client.pTTL(k.history(h));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("keeps no turn longer than the bound on its own", async () => {
    await answered("big", "q", "a".repeat(200));
    expect(await client.exists(k.history(entry("big").sessionId))).toBe(0);
  });

  it("appends nothing for a head already answered, nor without the token", async () => {
    const { sessionId } = entry("twice", "ann");
    await accept(entry("twice", "ann"));
    await claim("tok");
    const turn = [JSON.stringify({ question: "q", answer: "a" }), 2, 100, 60_000];
    expect(await recordAnswer(sessionId, "other", "{}", turn)).toBe(0);
    expect(await client.exists(k.history(sessionId))).toBe(0);
    expect(await recordAnswer(sessionId, "tok", '{"n":1}', turn)).toBe(1);
    expect(await recordAnswer(sessionId, "tok", '{"n":2}', turn)).toBe(1);
    expect(await client.lLen(k.history(sessionId))).toBe(1);
    expect(await client.hGet(k.session(sessionId), "reply")).toBe('{"n":1}');
  });
});

describe("complete.lua", () => {
  it("refuses another token, hands over the next message, then removes every trace", async () => {
    const [a, b] = [entry("s", "ann"), entry("s", "bob")];
    await accept(a);
    await accept(b);
    await claim("tok");
    await recordAnswer(a.sessionId, "tok", "{}");
    expect(await complete(a.sessionId, "nope")).toEqual(["lost"]);
    const next = (await complete(a.sessionId, "tok")) as string[];
    expect(next[0]).toBe("next");
    expect(JSON.parse(next[1] ?? "")).toEqual(b);
    expect(await client.hGetAll(k.session(a.sessionId))).toMatchObject({ phase: "queued", reply: "" });
    expect(await client.hGetAll(k.pending)).toEqual({ all: "1", [b.userKey]: "1" });
    expect(await complete(a.sessionId, "tok")).toEqual(["empty"]);
    const left = [k.session(a.sessionId), k.queue(a.sessionId), k.leases, k.pending, k.ready("slack")];
    expect(await client.exists(left)).toBe(0);
  });
});

describe("release.lua and recover-expired.lua", () => {
  it("release puts the session back at the front of the ready list", async () => {
    const [held, waiting] = [entry("held"), entry("waiting")];
    await accept(held);
    await claim("tok");
    await accept(waiting);
    const release = (token: string) =>
      run("release", [k.session(held.sessionId), k.leases], [token, held.sessionId, k.prefix]);
    expect(await release("nope")).toBe(0);
    expect(await release("tok")).toBe(1);
    expect(await client.lRange(k.ready("slack"), 0, -1)).toEqual([held.sessionId, waiting.sessionId]);
    expect(await client.hExists(k.session(held.sessionId), "token")).toBe(0);
    expect(await client.exists(k.leases)).toBe(0);
  });

  it("recovers only expired leases, longest expired first, at most a batch per call", async () => {
    const sessions = [entry("one"), entry("two"), entry("three"), entry("alive")];
    for (const e of sessions) await accept(e);
    for (const ms of [30, 60, 90]) {
      await claim(`t${ms}`, ms);
      await sleep(5);
    }
    await claim("alive", 60_000);
    await sleep(150);
    expect(await run("recover-expired", [k.leases], [k.prefix, 2])).toBe(2);
    expect(await run("recover-expired", [k.leases], [k.prefix, 2])).toBe(1);
    expect(await client.lRange(k.ready("slack"), 0, -1)).toEqual([
      sessions[2]?.sessionId,
      sessions[0]?.sessionId,
      sessions[1]?.sessionId,
    ]);
    expect(await client.zRange(k.leases, 0, -1)).toEqual([sessions[3]?.sessionId]);
  });
});

describe("acquire-start.lua and pause-starts.lua", () => {
  const acquire = (member: string, limit = 2, windowMs = 200) =>
    run("acquire-start", [k.starts, k.pause], [limit, windowMs, member]) as Promise<number>;

  it("records up to the limit per window, then names the wait until the oldest start leaves it", async () => {
    expect(await acquire("a")).toBe(0);
    expect(await acquire("b")).toBe(0);
    const wait = await acquire("c");
    expect(wait).toBeGreaterThan(150);
    expect(wait).toBeLessThanOrEqual(200);
    expect(await client.zCard(k.starts)).toBe(2);
    expect(await client.pTTL(k.starts)).toBeLessThanOrEqual(200);
    await sleep(wait);
    expect(await acquire("c")).toBe(0);
  });

  it("counts every start even at the same instant (members are the caller's)", async () => {
    const results = await Promise.all(["x", "y", "z"].map((m) => acquire(m, 3, 10_000)));
    expect(results).toEqual([0, 0, 0]);
    expect(await client.zCard(k.starts)).toBe(3);
  });

  it("lets a pause win over a free window, and never shortens a pause", async () => {
    const pause = (ms: number) => run("pause-starts", [k.pause], [ms]);
    expect(await pause(500)).toBe(1);
    expect(await pause(100)).toBe(0);
    expect(await client.pTTL(k.pause)).toBeGreaterThan(400);
    expect(await pause(1000)).toBe(1);
    expect(await acquire("a")).toBeGreaterThan(900);
    expect(await client.exists(k.starts)).toBe(0);
  });
});
