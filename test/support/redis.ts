import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { afterAll, beforeAll } from "vitest";
import { closedPort } from "./ports.js";

const DEFAULT_URL = "redis://127.0.0.1:6379";

/** True when a Redis answers PING at `url` within a second (`ca`: a PEM to trust for rediss://). */
export async function redisAnswers(url: string, ca?: string): Promise<boolean> {
  const socket = { connectTimeout: 1000, reconnectStrategy: false as const };
  const client = createClient({ url, socket: ca === undefined ? socket : { ...socket, tls: true, ca } });
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
  /** Serve TLS only (rediss://) with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string };
  /** A node for a Redis Cluster (see startPrivateCluster). */
  cluster?: boolean;
  /** More redis-server arguments, e.g. `["--maxmemory-policy", "allkeys-lru"]` or `["--rename-command", "CONFIG", ""]`. */
  extraArgs?: readonly string[];
}

/**
 * A redis-server of this test's own on a free port, which the test may stop and restart (never do
 * that to the shared server on 6379). Fails with how to get one when redis-server is not on PATH.
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  requireRedisServer();
  const port = await closedPort();
  const dir = mkdtempSync(join(tmpdir(), "bridge-redis-"));
  const { tls } = options;
  const args = ["--bind", "127.0.0.1", "--save", "", "--dir", dir];
  if (tls === undefined) args.push("--port", String(port));
  else {
    args.push("--port", "0", "--tls-port", String(port), "--tls-auth-clients", "no");
    args.push("--tls-cert-file", tls.certFile, "--tls-key-file", tls.keyFile);
  }
  args.push("--appendonly", options.persistent ? "yes" : "no");
  if (options.persistent) args.push("--appendfsync", "always");
  if (options.password) args.push("--requirepass", options.password);
  if (options.cluster)
    args.push("--cluster-enabled", "yes", "--cluster-config-file", join(dir, "nodes.conf"));
  if (options.extraArgs) args.push(...options.extraArgs);
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  const url = `${tls ? "rediss" : "redis"}://${auth}127.0.0.1:${port}`;
  const ca = tls ? readFileSync(tls.certFile, "utf8") : undefined;
  let child: ChildProcess | null = null;

  const start = async () => {
    const spawned = spawn("redis-server", args, { stdio: "ignore" });
    child = spawned;
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswers(url, ca))) {
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

export interface PrivateCluster {
  /** The URL of its first node: enough for a Cluster client to find the others. */
  url: string;
  nodes: PrivateRedis[];
  close(): Promise<void>;
}

/** A Redis Cluster of `size` primaries (no replicas) on free ports, the slots spread over them. */
export async function startPrivateCluster(size = 3, password?: string): Promise<PrivateCluster> {
  const options = password === undefined ? { cluster: true } : { cluster: true, password };
  const nodes = await Promise.all(Array.from({ length: size }, () => startPrivateRedis(options)));
  const close = async () => {
    await Promise.all(nodes.map((node) => node.close()));
  };
  try {
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    const created = spawnSync(
      "redis-cli",
      ["--cluster", "create", ...addresses, "--cluster-replicas", "0", "--cluster-yes"],
      { encoding: "utf8", env: { ...process.env, ...(password ? { REDISCLI_AUTH: password } : {}) } },
    );
    if (created.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    const deadline = Date.now() + 15_000;
    for (const node of nodes) {
      const client = createClient({ url: node.url });
      await client.connect();
      try {
        while (!String(await client.clusterInfo()).includes("cluster_state:ok")) {
          if (Date.now() > deadline) throw new Error("the cluster did not become ready within 15 s");
          await sleep(100);
        }
      } finally {
        client.destroy();
      }
    }
    return { url: nodes[0]?.url ?? "", nodes, close };
  } catch (error) {
    await close();
    throw error;
  }
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
