import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { afterAll, beforeAll } from "vitest";

const DEFAULT_URL = "redis://127.0.0.1:6379";

/** True when a Redis answers PING at `url` within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: like a crash; SIGTERM: it saves its append-only file first). */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same port (and data directory). */
  start(): Promise<void>;
  /** stop, wait `downMs`, start. */
  restart(downMs?: number, signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Stops it for good and removes its data directory. */
  close(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Append-only file with fsync on every write, so a restart keeps the data. @default false */
  persistent?: boolean;
  /** requirepass, for tests of credentials. */
  password?: string;
}

/**
 * A redis-server of this test's own on a free port, which the test may stop and restart (never do
 * that to the shared server on 6379). Fails with how to get one when redis-server is not on PATH.
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  requireRedisServer();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "bridge-redis-"));
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir];
  args.push("--appendonly", options.persistent ? "yes" : "no");
  if (options.persistent) args.push("--appendfsync", "always");
  if (options.password) args.push("--requirepass", options.password);
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  const url = `redis://${auth}127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  const start = async () => {
    const spawned = spawn("redis-server", args, { stdio: "ignore" });
    child = spawned;
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswers(url))) {
      if (spawned.exitCode !== null)
        throw new Error(`redis-server on port ${port} exited (${spawned.exitCode})`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
      await sleep(50);
    }
  };
  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGKILL") => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill(signal);
    await exited;
  };
  const killOnExit = () => child?.kill("SIGKILL");
  process.once("exit", killOnExit);
  await start();
  return {
    url,
    port,
    stop,
    start,
    async restart(downMs = 0, signal = "SIGKILL") {
      await stop(signal);
      await sleep(downMs);
      await start();
    },
    async close() {
      await stop();
      process.removeListener("exit", killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function requireRedisServer(): void {
  const found = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  if (found.error !== undefined || found.status !== 0) {
    throw new Error(
      "These tests need Redis: no Redis answered at REDIS_URL (default redis://127.0.0.1:6379) and " +
        "redis-server is not on PATH. Install it (apt-get install redis-server, brew install redis) or " +
        "set REDIS_URL to a Redis 7 you may write test keys to.",
    );
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface TestRedis {
  /** The Redis URL this file uses. */
  url(): string;
  /** A new key prefix (one hash tag) of this file: every store of a test gets its own. */
  prefix(): string;
  /** The keys under `prefix`, for tests of what the store leaves behind. */
  keys(prefix: string): Promise<string[]>;
}

/**
 * Call once at the top of a test file: uses REDIS_URL (default redis://127.0.0.1:6379), or starts a
 * private redis-server when none answers, and deletes every key of this file's prefixes afterwards.
 */
export function useTestRedis(): TestRedis {
  const fileTag = `test-${randomBytes(4).toString("hex")}`;
  let url = process.env.REDIS_URL ?? DEFAULT_URL;
  let owned: PrivateRedis | null = null;
  let count = 0;

  beforeAll(async () => {
    if (!(await redisAnswers(url))) {
      owned = await startPrivateRedis();
      url = owned.url;
    }
  });
  afterAll(async () => {
    if (owned !== null) await owned.close();
    else await deleteKeys(url, `{${fileTag}-*`);
  });

  return {
    url: () => url,
    prefix: () => `{${fileTag}-${++count}}:`,
    keys: (prefix) => scanKeys(url, `${globEscape(prefix)}*`),
  };
}

/** Every key matching `pattern` (SCAN, never KEYS: the server may be shared). */
export async function scanKeys(url: string, pattern: string): Promise<string[]> {
  const client = createClient({ url });
  await client.connect();
  try {
    const found: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) found.push(...batch);
    return found.sort();
  } finally {
    client.destroy();
  }
}

async function deleteKeys(url: string, pattern: string): Promise<void> {
  const keys = await scanKeys(url, pattern);
  if (keys.length === 0) return;
  const client = createClient({ url });
  await client.connect();
  try {
    for (let i = 0; i < keys.length; i += 500) await client.unlink(keys.slice(i, i + 500));
  } finally {
    client.destroy();
  }
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
