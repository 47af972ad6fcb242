import { createClient, createCluster, ErrorReply } from "redis";
import type { Logger } from "../logger.js";

/** One Redis (standalone, a primary, a managed endpoint) or a Redis Cluster: the store uses either alike. */
export type RedisClient = ReturnType<typeof newClient> | ReturnType<typeof newCluster>;

export interface RedisConnectionOptions {
  /** redis:// or rediss:// (TLS), with user and password when the server needs them. */
  url: string;
  logger: Logger;
  /** Every store call rejects after this long, so intake can answer 503 instead of hanging. @default 2000 */
  commandTimeoutMs?: number;
  /** How long the first connection may take before start-up fails. @default 10000 */
  connectTimeoutMs?: number;
}

/** Store calls reject after this long by default (intake then answers 503). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

/** Reconnection back-off: doubling from 50 ms, capped at 5 s, with jitter so replicas spread out. */
export function reconnectDelayMs(retries: number, random: () => number = Math.random): number {
  return Math.min(50 * 2 ** retries, 5000) + Math.floor(random() * 100);
}

/** `host:port` of a Redis URL: what logs and errors may show of it (never the user or password). */
export function redisEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "6379"}`;
  } catch {
    return "(unparseable REDIS_URL)";
  }
}

/** Connection errors are logged at most this often. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * A connected node-redis client that never throws on a dropped connection: it reconnects with
 * back-off, logs errors (rate-limited, naming only host:port), and rejects commands at once while
 * disconnected instead of queueing them. When the URL names a node of a Redis Cluster, the client is
 * a Cluster client (it follows the slots). `role` names the connection in logs.
 */
export async function openRedisClient(options: RedisConnectionOptions, role: string): Promise<RedisClient> {
  const endpoint = redisEndpoint(options.url);
  const log = options.logger.child({ redis: endpoint, connection: role });
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const connect = async (client: RedisClient) => {
    const lastError = logErrors(client, log);
    await connectWithin(client, options.connectTimeoutMs ?? 10_000, () => {
      const error = lastError();
      return `redis: could not connect to ${endpoint}${error instanceof Error ? ` (${error.message})` : ""}`;
    });
    return client;
  };
  const single = await connect(newClient(options.url, timeoutMs));
  let clusterInfo: string;
  try {
    clusterInfo = String(await new CallDeadlines(timeoutMs).watch(single.info("cluster")));
  } catch (error) {
    await closeClient(single);
    throw error;
  }
  if (!/^cluster_enabled:1/m.test(clusterInfo)) return single;
  await closeClient(single);
  log.info("redis: Redis Cluster, following its slots");
  return connect(newCluster(options.url, timeoutMs));
}

/** Logs a client's errors at most every 10 s (a Redis that is down fails every reconnect); returns the last. */
function logErrors(client: RedisClient, log: Logger): () => unknown {
  let lastError: unknown = null;
  let lastLogged = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  let down = false;
  client.on("error", (error: unknown) => {
    lastError = error;
    down = true;
    const now = Date.now();
    if (now - lastLogged < ERROR_LOG_INTERVAL_MS) {
      suppressed++;
      return;
    }
    log.warn({ err: error, suppressed }, "redis: connection error");
    lastLogged = now;
    suppressed = 0;
  });
  client.on("ready", () => {
    if (down) log.info("redis: connected again");
    down = false;
  });
  return () => lastError;
}

/** What every connection shares: reconnect with back-off, fail fast while disconnected. */
function socketOptions(connectTimeout: number) {
  return { connectTimeout, reconnectStrategy: (retries: number) => reconnectDelayMs(retries) };
}

function newClient(url: string, commandTimeoutMs: number) {
  return createClient({
    url,
    socket: socketOptions(commandTimeoutMs),
    disableOfflineQueue: true,
    // 0: no AbortSignal.timeout per command (costly, and blind to written commands); CallDeadlines instead.
    commandOptions: { timeout: 0 },
  });
}

/** The nodes a Cluster client discovers get their credentials and TLS from `defaults`, not the URL. */
function newCluster(url: string, commandTimeoutMs: number) {
  const parsed = new URL(url);
  const socket = socketOptions(commandTimeoutMs);
  return createCluster({
    rootNodes: [{ url }],
    defaults: {
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      socket: parsed.protocol === "rediss:" ? { ...socket, tls: true } : socket,
      disableOfflineQueue: true,
    },
    commandOptions: { timeout: 0 },
  });
}

/** Connects, or destroys the client and rejects when the first connection takes longer than `ms`. */
async function connectWithin(client: RedisClient, ms: number, describe: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const connecting = client.connect();
  // The race below may be lost by `connecting`; its own rejection must not go unhandled.
  connecting.catch(() => {});
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${describe()} within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([connecting, timedOut]);
  } catch (error) {
    client.destroy();
    if (error instanceof Error && error.message.startsWith("redis:")) throw error;
    throw new Error(`${describe()}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Raised when Redis took longer than the command timeout (the command may still have run). */
export class RedisTimeoutError extends Error {
  override name = "RedisTimeoutError";
}

/** How often `CallDeadlines` looks for late calls: a call rejects at most this long after its deadline. */
const SWEEP_MS = 100;

/**
 * Rejects calls that take longer than `ms`. node-redis times out only commands not yet written, and
 * a Redis that stalls (CLIENT PAUSE, a long script, a half-open connection) answers none. One timer
 * serves every call: all share one timeout, so they expire in the order they started. (A timer or an
 * AbortSignal per call cost several times the CPU of the call itself.)
 */
export class CallDeadlines {
  readonly #pending = new Map<number, { expires: number; reject: (error: Error) => void }>();
  readonly #ms: number;
  #nextId = 0;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    if (!(ms > 0)) throw new RangeError(`the command timeout must be positive, got ${ms}`);
    this.#ms = ms;
  }

  /** `work`, or a RedisTimeoutError once it is late. */
  watch<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { expires: performance.now() + this.#ms, reject });
      this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_MS).unref();
      work.then(
        (value) => {
          this.#pending.delete(id);
          resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(id);
          reject(error);
        },
      );
    });
  }

  #sweep(): void {
    const now = performance.now();
    for (const [id, call] of this.#pending) {
      if (call.expires > now) break;
      this.#pending.delete(id);
      call.reject(new RedisTimeoutError(`redis: no answer within ${this.#ms} ms`));
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}

/** Null while the client answers, else why not, naming Redis (for /readyz). */
export function clientNotReadyReason(client: RedisClient): string | null {
  if (client.isReady) return null;
  return client.isOpen ? "redis: not connected (reconnecting)" : "redis: connection closed";
}

/** Closes politely when connected (pending replies arrive first), at once otherwise. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) await client.close();
  else client.destroy();
}

/** Start-up refused: the Redis may evict keys, and REDIS_ALLOW_EVICTION does not accept that. */
export class EvictingRedisError extends Error {
  override name = "EvictingRedisError";
}

/**
 * Reads the server's `maxmemory-policy` once, at start. An evicted queue entry, lease or dedupe key
 * is a lost or doubled answer, so anything but `noeviction` stops start-up (EvictingRedisError)
 * unless `allow` (REDIS_ALLOW_EVICTION) accepts it; then it is logged and returned as a warning for
 * /readyz. Where CONFIG is not permitted (managed services rename or forbid it: an error reply), the
 * policy cannot be read: that is warned once and returned too. Null when the policy is `noeviction`.
 */
export async function checkEviction(
  client: RedisClient,
  options: { allow: boolean; timeoutMs: number; logger: Logger },
): Promise<string | null> {
  const { allow, logger: log } = options;
  const args = ["CONFIG", "GET", "maxmemory-policy"];
  let policy: string | null;
  try {
    // A Cluster asks one node: every node of a managed Cluster shares one parameter group.
    const asking = "masters" in client ? client.sendCommand(undefined, true, args) : client.sendCommand(args);
    policy = policyOf(await new CallDeadlines(options.timeoutMs).watch(asking));
  } catch (error) {
    // An error reply (ERR unknown command, NOPERM) is an answer; a broken connection is not.
    if (!(error instanceof ErrorReply)) throw error;
    const warning =
      "redis: could not check maxmemory-policy (CONFIG is not permitted here); make sure it is noeviction";
    log.warn({ err: error }, warning);
    return warning;
  }
  if (policy === "noeviction") return null;
  const named = policy === null ? "unknown" : `"${policy}"`;
  if (!allow) {
    throw new EvictingRedisError(
      `redis: maxmemory-policy is ${named}, which may evict the bridge's keys (a lost or doubled answer); ` +
        "set it to noeviction, or set REDIS_ALLOW_EVICTION=true to accept that",
    );
  }
  const warning = `redis: maxmemory-policy is ${named}, not noeviction: evicted keys can lose or double answers (REDIS_ALLOW_EVICTION=true)`;
  log.warn(warning);
  return warning;
}

/** CONFIG GET answers `[name, value]` (RESP2) or `{name: value}` (RESP3). */
function policyOf(reply: unknown): string | null {
  if (Array.isArray(reply)) return typeof reply[1] === "string" ? reply[1] : null;
  if (reply instanceof Map) {
    const value = reply.get("maxmemory-policy");
    return typeof value === "string" ? value : null;
  }
  if (typeof reply === "object" && reply !== null) {
    const value = (reply as Record<string, unknown>)["maxmemory-policy"];
    return typeof value === "string" ? value : null;
  }
  return null;
}
