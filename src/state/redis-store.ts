import { randomUUID } from "node:crypto";
import type { Platform, Reply } from "../types.js";
import { DEFAULT_REDIS_PREFIX, RedisKeys } from "./keys.js";
import {
  clientNotReadyReason,
  closeClient,
  openRedisClient,
  type RedisClient,
  type RedisConnectionOptions,
} from "./redis-connection.js";
import { loadScripts, runScript, type ScriptName } from "./scripts.js";
import type {
  AcceptLimits,
  AcceptResult,
  BridgeStore,
  Claim,
  Lease,
  Phase,
  QueuedMessage,
  SessionHead,
} from "./store.js";

export interface RedisStoreOptions extends RedisConnectionOptions {
  /** Put before every key; one hash tag for Redis Cluster. @default "{bridge}:" */
  prefix?: string;
}

/** Sessions `recoverExpired` makes ready per call at most, so one script never runs long. */
const RECOVER_BATCH = 100;

interface Waiter {
  readonly platforms: readonly Platform[];
  readonly wake: () => void;
}

/** Connects both connections (commands, and the Pub/Sub one that wakes idle workers). */
export async function connectRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const client = await openRedisClient(options, "commands");
  try {
    const subscriber = await openRedisClient(options, "wake-ups");
    await loadScripts(client);
    return new RedisStore(client, subscriber, new RedisKeys(options.prefix ?? DEFAULT_REDIS_PREFIX));
  } catch (error) {
    await closeClient(client);
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
  readonly #waiters = new Set<Waiter>();
  /** Channels subscribed (or being subscribed), by platform. */
  readonly #subscriptions = new Map<Platform, Promise<void>>();
  /** Makes window members unique over replicas: this store's id, then a counter. */
  readonly #startPrefix = randomUUID().slice(0, 8);
  #startCount = 0;

  /** Use `connectRedisStore`; this takes two connected clients of one Redis. */
  constructor(client: RedisClient, subscriber: RedisClient, keys: RedisKeys) {
    this.#client = client;
    this.#subscriber = subscriber;
    this.#keys = keys;
  }

  async accept(entry: QueuedMessage, limits: AcceptLimits): Promise<AcceptResult> {
    const { message, sessionId, userKey } = entry;
    const k = this.#keys;
    const result = await this.#run(
      "accept",
      [k.seen(entry.key), k.pending, k.queue(sessionId), k.ready(message.platform)],
      [
        limits.dedupeTtlMs,
        limits.maxPending,
        limits.maxPendingPerUser,
        userKey,
        JSON.stringify(entry),
        sessionId,
        k.bell(message.platform),
      ],
    );
    if (result === "queued" || result === "duplicate" || result === "busy") return result;
    throw new Error(`accept.lua answered ${String(result)}`);
  }

  async once(key: string, ttlMs: number): Promise<boolean> {
    const set = await this.#client.set(this.#keys.seen(key), "1", {
      condition: "NX",
      expiration: { type: "PX", value: ttlMs },
    });
    return set !== null;
  }

  async forget(key: string): Promise<void> {
    await this.#client.del(this.#keys.seen(key));
  }

  async claim(platforms: readonly Platform[], leaseMs: number): Promise<Claim | null> {
    if (platforms.length === 0) return null;
    const token = randomUUID();
    const k = this.#keys;
    const found = await this.#run(
      "claim",
      [k.leases, ...platforms.map((p) => k.ready(p))],
      [k.prefix, leaseMs, token, ...platforms],
    );
    if (found === null) return null;
    const [sessionId = "", entry = "", phase = "", reply = ""] = strings(found, 4, "claim");
    return { lease: { sessionId, token }, head: toHead(entry, phase, reply) };
  }

  async waitForWork(platforms: readonly Platform[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    let wake = () => {};
    const woken = new Promise<void>((resolve) => {
      const timer = setTimeout(() => wake(), timeoutMs);
      const waiter: Waiter = { platforms, wake: () => wake() };
      wake = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", wake);
        this.#waiters.delete(waiter);
        resolve();
      };
      signal.addEventListener("abort", wake, { once: true });
      this.#waiters.add(waiter);
    });
    try {
      // Listening first, then looking: work that arrives in between rings a bell we hear.
      await Promise.all(platforms.map((p) => this.#subscribe(p)));
      const lengths = await Promise.all(platforms.map((p) => this.#client.lLen(this.#keys.ready(p))));
      if (lengths.some((n) => n > 0)) wake();
    } catch {
      // Redis is unreachable: wait out the timeout; the caller's next claim reports the failure.
    }
    return woken;
  }

  async renew(lease: Lease, leaseMs: number): Promise<boolean> {
    const { sessionId, token } = lease;
    const k = this.#keys;
    return (
      (await this.#run("renew-lease", [k.session(sessionId), k.leases], [token, sessionId, leaseMs])) === 1
    );
  }

  markStarted(lease: Lease): Promise<boolean> {
    return this.#recordPhase(lease, "started", "");
  }

  recordReply(lease: Lease, reply: Reply): Promise<boolean> {
    return this.#recordPhase(lease, "answered", JSON.stringify(reply));
  }

  async complete(lease: Lease, leaseMs: number): Promise<SessionHead | null | "lost"> {
    const { sessionId, token } = lease;
    const k = this.#keys;
    const result = await this.#run(
      "complete",
      [k.session(sessionId), k.queue(sessionId), k.leases, k.pending],
      [token, sessionId, leaseMs],
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

  async acquireStart(limit: number, windowMs: number): Promise<number> {
    const member = `${this.#startPrefix}:${(this.#startCount++).toString(36)}`;
    const k = this.#keys;
    return Number(await this.#run("acquire-start", [k.starts, k.pause], [limit, windowMs, member]));
  }

  async pauseStarts(ms: number): Promise<void> {
    const whole = Math.ceil(ms);
    if (whole > 0) await this.#run("pause-starts", [this.#keys.pause], [whole]);
  }

  async depth(): Promise<number> {
    return Number((await this.#client.hGet(this.#keys.pending, "all")) ?? 0);
  }

  async remember(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#client.set(this.#keys.value(key), value, { expiration: { type: "PX", value: ttlMs } });
  }

  async recall(key: string): Promise<string | null> {
    const value = await this.#client.get(this.#keys.value(key));
    return value === null ? null : String(value);
  }

  notReadyReason(): string | null {
    return clientNotReadyReason(this.#client);
  }

  async close(): Promise<void> {
    for (const waiter of [...this.#waiters]) waiter.wake();
    await Promise.all([closeClient(this.#subscriber), closeClient(this.#client)]);
  }

  #run(name: ScriptName, keys: string[], args: Array<string | number>): Promise<unknown> {
    return runScript(this.#client, name, keys, args);
  }

  async #recordPhase(lease: Lease, phase: Phase, reply: string): Promise<boolean> {
    const key = this.#keys.session(lease.sessionId);
    return (await this.#run("record-phase", [key], [lease.token, phase, reply])) === 1;
  }

  #subscribe(platform: Platform): Promise<void> {
    let subscribed = this.#subscriptions.get(platform);
    if (subscribed === undefined) {
      subscribed = this.#subscriber.subscribe(this.#keys.bell(platform), () => this.#ring(platform));
      // A failed subscription is tried again by the next wait.
      subscribed.catch(() => this.#subscriptions.delete(platform));
      this.#subscriptions.set(platform, subscribed);
    }
    return subscribed;
  }

  #ring(platform: Platform): void {
    for (const waiter of this.#waiters) if (waiter.platforms.includes(platform)) waiter.wake();
  }
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
