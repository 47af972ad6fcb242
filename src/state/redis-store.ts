import { randomUUID } from "node:crypto";
import type { Turn } from "../assistant/types.js";
import type { Platform, Reply } from "../types.js";
import { DEFAULT_REDIS_PREFIX, hasHashTag, RedisKeys } from "./keys.js";
import {
  CallDeadlines,
  checkEviction,
  clientNotReadyReason,
  closeClient,
  DEFAULT_COMMAND_TIMEOUT_MS,
  openRedisClient,
  type RedisClient,
  type RedisConnectionOptions,
  RedisTimeoutError,
} from "./redis-connection.js";
import { loadScripts, runScript, type ScriptName } from "./scripts.js";
import type {
  AcceptLimits,
  AcceptResult,
  BridgeStore,
  Claim,
  HistoryAppend,
  Lease,
  QueuedMessage,
  SessionHead,
} from "./store.js";
import { turnChars } from "./store.js";
import { Waiters } from "./waiters.js";

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Put before every key; one hash tag for Redis Cluster. @default "{bridge}:" */
  prefix?: string;
  /** Start on a Redis whose maxmemory-policy may evict keys (REDIS_ALLOW_EVICTION). @default false */
  allowEviction?: boolean;
}

/** Sessions `recoverExpired` makes ready per call at most, so one script never runs long. */
const RECOVER_BATCH = 100;

/** Connects both connections (commands, and the Pub/Sub one that wakes idle workers). */
export async function connectRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const keys = new RedisKeys(options.prefix ?? DEFAULT_REDIS_PREFIX);
  if (!hasHashTag(keys.prefix)) {
    throw new RangeError(
      `the Redis key prefix must begin with a hash tag such as {bridge}:, got "${keys.prefix}"`,
    );
  }
  const client = await openRedisClient(options, "commands");
  let subscriber: RedisClient | null = null;
  try {
    const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const evictionWarning = await checkEviction(client, {
      allow: options.allowEviction ?? false,
      timeoutMs,
      logger: options.logger,
    });
    subscriber = await openRedisClient(options, "wake-ups");
    await loadScripts(client);
    return new RedisStore(client, subscriber, keys, timeoutMs, evictionWarning);
  } catch (error) {
    await Promise.all([closeClient(client), subscriber && closeClient(subscriber)]);
    throw error;
  }
}

/**
 * The bridge's state in Redis, shared by every replica that uses the same Redis and prefix. Each
 * step that must be atomic is one Lua script (src/state/lua); times (leases, the sliding window)
 * are Redis server time, so replicas share one clock. Idle workers are woken through Pub/Sub: a
 * message costs nothing in Redis storage, and every replica's idle workers hear it.
 */
export class RedisStore implements BridgeStore {
  readonly shared = true;
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #keys: RedisKeys;
  readonly #deadlines: CallDeadlines;
  readonly #waiters = new Waiters();
  /** Channels subscribed (or being subscribed), by platform. */
  readonly #subscriptions = new Map<Platform, Promise<void>>();
  /** Makes window members unique over replicas: this store's id, then a counter. */
  readonly #startPrefix = randomUUID().slice(0, 8);
  #startCount = 0;
  /** Set while the last call timed out: Redis is connected but not answering in time. */
  #slow: string | null = null;

  /** Use `connectRedisStore`; this takes two connected clients of one Redis. */
  constructor(
    client: RedisClient,
    subscriber: RedisClient,
    keys: RedisKeys,
    timeoutMs: number,
    /** What the start-up check of maxmemory-policy warned about (for /readyz); null: nothing. */
    readonly evictionWarning: string | null = null,
  ) {
    this.#client = client;
    this.#subscriber = subscriber;
    this.#keys = keys;
    this.#deadlines = new CallDeadlines(timeoutMs);
  }

  async accept(entry: QueuedMessage, limits: AcceptLimits): Promise<AcceptResult> {
    const { message, sessionId, userKey } = entry;
    const k = this.#keys;
    const counts = limits.quota?.counts ?? [];
    const channel = limits.quota?.channel ?? null;
    const result = await this.#run(
      "accept",
      [
        k.seen(entry.key),
        k.pending,
        k.queue(sessionId),
        k.ready(message.platform),
        ...counts.flatMap((c) => [k.quotaLog(c.kind, c.scope), k.quotaTold(c.kind, channel ?? "")]),
      ],
      [
        whole(limits.dedupeTtlMs),
        limits.maxPending,
        limits.maxPendingPerUser,
        userKey,
        JSON.stringify(entry),
        sessionId,
        k.bell(message.platform),
        counts.length,
        channel === null ? 1 : 0,
        ...counts.flatMap((c) => [c.limit, whole(c.windowMs), c.kind]),
      ],
    );
    if (result === "queued" || result === "duplicate" || result === "busy") return result;
    if (Array.isArray(result) && result[0] === "over") {
      const [, over, limit, resetInMs, tell] = result.map(String);
      if (over === "person" || over === "workspace") {
        return { over, limit: Number(limit), resetInMs: Number(resetInMs), tell: tell === "1" };
      }
    }
    throw new Error(`accept.lua answered ${String(result)}`);
  }

  async once(key: string, ttlMs: number): Promise<boolean> {
    const set = await this.#within(
      this.#client.set(this.#keys.seen(key), "1", {
        condition: "NX",
        expiration: { type: "PX", value: whole(ttlMs) },
      }),
    );
    return set !== null;
  }

  async forget(key: string): Promise<void> {
    await this.#within(this.#client.del(this.#keys.seen(key)));
  }

  async claim(platforms: readonly Platform[], leaseMs: number): Promise<Claim | null> {
    if (platforms.length === 0) return null;
    const token = randomUUID();
    const k = this.#keys;
    const found = await this.#run(
      "claim",
      [k.leases, ...platforms.map((p) => k.ready(p))],
      [k.prefix, whole(leaseMs), token, ...platforms],
    );
    if (found === null) return null;
    const [sessionId = "", entry = "", phase = "", reply = ""] = strings(found, 4, "claim");
    return { lease: { sessionId, token }, head: toHead(entry, phase, reply) };
  }

  waitForWork(platforms: readonly Platform[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    const wait = this.#waiters.add(platforms, timeoutMs, signal);
    // Not awaited: a slow or unreachable Redis must not hold the wait past its timeout.
    void this.#wakeIfReady(platforms, wait.wake);
    return wait.woken;
  }

  /** Listens first, then looks: work that arrives in between rings a bell we hear. */
  async #wakeIfReady(platforms: readonly Platform[], wake: () => void): Promise<void> {
    try {
      await Promise.all(platforms.map((p) => this.#subscribe(p)));
      const lengths = await this.#within(
        Promise.all(platforms.map((p) => this.#client.lLen(this.#keys.ready(p)))),
      );
      if (lengths.some((n) => n > 0)) wake();
    } catch {
      // Redis is unreachable: the wait runs to its timeout; the caller's next claim reports the failure.
    }
  }

  async renew(lease: Lease, leaseMs: number): Promise<boolean> {
    const { sessionId, token } = lease;
    const k = this.#keys;
    return (
      (await this.#run(
        "renew-lease",
        [k.session(sessionId), k.leases],
        [token, sessionId, whole(leaseMs)],
      )) === 1
    );
  }

  async recordReply(lease: Lease, reply: Reply, append?: HistoryAppend): Promise<boolean> {
    const k = this.#keys;
    const turn = append
      ? [JSON.stringify(append.turn), turnChars(append.turn), whole(append.maxChars), whole(append.ttlMs)]
      : ["", 0, 0, 0];
    const recorded = await this.#run(
      "record-answer",
      [k.session(lease.sessionId), k.history(lease.sessionId)],
      [lease.token, JSON.stringify(reply), ...turn],
    );
    return recorded === 1;
  }

  async history(sessionId: string): Promise<Turn[]> {
    const items = await this.#within(this.#client.lRange(this.#keys.history(sessionId), 0, -1));
    return items.map((item) => {
      const { question, answer } = JSON.parse(String(item).slice(String(item).indexOf(":") + 1)) as Turn;
      return { question, answer };
    });
  }

  async complete(lease: Lease, leaseMs: number): Promise<SessionHead | null | "lost"> {
    const { sessionId, token } = lease;
    const k = this.#keys;
    const result = await this.#run(
      "complete",
      [k.session(sessionId), k.queue(sessionId), k.leases, k.pending],
      [token, sessionId, whole(leaseMs)],
    );
    const [outcome, next] = strings(result, 1, "complete");
    if (outcome === "lost") return "lost";
    if (outcome === "empty") return null;
    if (outcome === "next" && next !== undefined) return toHead(next, "queued", "");
    throw new Error(`complete.lua answered ${outcome}`);
  }

  async release(lease: Lease): Promise<void> {
    const { sessionId, token } = lease;
    const k = this.#keys;
    await this.#run("release", [k.session(sessionId), k.leases], [token, sessionId, k.prefix]);
  }

  async recoverExpired(): Promise<number> {
    return Number(
      await this.#run("recover-expired", [this.#keys.leases], [this.#keys.prefix, RECOVER_BATCH]),
    );
  }

  async acquireStart(
    limit: number,
    windowMs: number,
    lease?: Lease,
    onGranted?: () => void,
  ): Promise<number | "lost"> {
    const member = `${this.#startPrefix}:${(this.#startCount++).toString(36)}`;
    const k = this.#keys;
    const fence = lease
      ? { keys: [k.session(lease.sessionId)], args: [lease.token] }
      : { keys: [], args: [] };
    const wait = Number(
      await this.#run(
        "acquire-start",
        [k.starts, k.pause, ...fence.keys],
        [limit, whole(windowMs), member, ...fence.args],
      ),
    );
    if (wait < 0) return "lost";
    if (wait === 0) onGranted?.();
    return wait;
  }

  async pauseStarts(ms: number): Promise<void> {
    if (ms > 0) await this.#run("pause-starts", [this.#keys.pause], [whole(ms)]);
  }

  async depth(): Promise<number> {
    return Number((await this.#within(this.#client.hGet(this.#keys.pending, "all"))) ?? 0);
  }

  async remember(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#within(
      this.#client.set(this.#keys.value(key), value, { expiration: { type: "PX", value: whole(ttlMs) } }),
    );
  }

  async recall(key: string): Promise<string | null> {
    const value = await this.#within(this.#client.get(this.#keys.value(key)));
    return value === null ? null : String(value);
  }

  notReadyReason(): string | null {
    return clientNotReadyReason(this.#client) ?? this.#slow;
  }

  async close(): Promise<void> {
    this.#waiters.wakeAll();
    await Promise.all([closeClient(this.#subscriber), closeClient(this.#client)]);
  }

  #run(name: ScriptName, keys: string[], args: Array<string | number>): Promise<unknown> {
    return this.#within(runScript(this.#client, name, keys, args));
  }

  async #within<T>(work: Promise<T>): Promise<T> {
    try {
      const result = await this.#deadlines.watch(work);
      this.#slow = null;
      return result;
    } catch (error) {
      if (error instanceof RedisTimeoutError) this.#slow = error.message;
      throw error;
    }
  }

  #subscribe(platform: Platform): Promise<void> {
    let subscribed = this.#subscriptions.get(platform);
    if (subscribed === undefined) {
      subscribed = this.#subscriber.subscribe(this.#keys.bell(platform), () => this.#waiters.wake(platform));
      // A failed subscription is tried again by the next wait.
      subscribed.catch(() => this.#subscriptions.delete(platform));
      this.#subscriptions.set(platform, subscribed);
    }
    return subscribed;
  }
}

/** Redis takes whole milliseconds (PX, PEXPIRE); rounding up never shortens a TTL or lease. */
function whole(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

/** The first `min` (or more) items of a script's array answer, as strings. */
function strings(reply: unknown, min: number, script: string): string[] {
  if (!Array.isArray(reply) || reply.length < min) throw new Error(`${script}.lua answered ${String(reply)}`);
  return reply.map(String);
}

function toHead(entry: string, phase: string, reply: string): SessionHead {
  if (phase !== "queued" && phase !== "started" && phase !== "answered") {
    throw new Error(`unknown phase ${phase}`);
  }
  return {
    entry: JSON.parse(entry) as QueuedMessage,
    phase,
    reply: reply === "" ? null : (JSON.parse(reply) as Reply),
  };
}
