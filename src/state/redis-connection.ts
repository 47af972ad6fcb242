import { createClient } from "redis";
import type { Logger } from "../logger.js";

export type RedisClient = ReturnType<typeof newClient>;

export interface RedisConnectionOptions {
  /** redis:// or rediss:// (TLS), with user and password when the server needs them. */
  url: string;
  logger: Logger;
  /** Every command rejects after this long, so intake can answer 503 instead of hanging. @default 2000 */
  commandTimeoutMs?: number;
  /** How long the first connection may take before start-up fails. @default 10000 */
  connectTimeoutMs?: number;
}

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

/** Logs connection errors at most every 10 s (a Redis that is down fails every reconnect). */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * A connected node-redis client that never throws on a dropped connection: it reconnects with
 * back-off, logs errors (rate-limited, naming only host:port), and rejects commands at once while
 * disconnected instead of queueing them. `role` names the connection in logs.
 */
export async function openRedisClient(options: RedisConnectionOptions, role: string): Promise<RedisClient> {
  const endpoint = redisEndpoint(options.url);
  const log = options.logger.child({ redis: endpoint, connection: role });
  const client = newClient(options.url, options.commandTimeoutMs ?? 2000);
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

  await connectWithin(client, options.connectTimeoutMs ?? 10_000, () => {
    const cause = lastError instanceof Error ? ` (${lastError.message})` : "";
    return `redis: could not connect to ${endpoint}${cause}`;
  });
  return client;
}

function newClient(url: string, commandTimeoutMs: number) {
  return createClient({
    url,
    socket: {
      connectTimeout: commandTimeoutMs,
      reconnectStrategy: (retries) => reconnectDelayMs(retries),
    },
    disableOfflineQueue: true,
    commandOptions: { timeout: commandTimeoutMs },
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
