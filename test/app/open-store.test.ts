import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/app.js";
import type { RedisConfig } from "../../src/config.js";
import { memoryLogger } from "../support/core.js";
import { type PrivateRedis, startPrivateRedis, useTestRedis } from "../support/redis.js";

const redis = useTestRedis();

const config = (url: string, allowEviction = false): RedisConfig => ({
  url,
  prefix: "{evict}:",
  leaseMs: 30_000,
  allowEviction,
});

describe("openStore", () => {
  it("keeps state in memory without REDIS_URL, and shares it through Redis with one", async () => {
    const { logger } = memoryLogger("silent");
    const memory = await openStore(null, logger);
    expect(memory.store.shared).toBe(false);
    const shared = await openStore({ ...config(redis.url()), prefix: redis.prefix() }, logger);
    expect(shared.store.shared).toBe(true);
    expect(shared.store.notReadyReason()).toBeNull();
    expect(shared.warnings).toEqual([]);
    await Promise.all([memory.store.close(), shared.store.close()]);
  });
});

describe("a Redis that may evict keys", () => {
  let server: PrivateRedis | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("stops start-up on allkeys-lru, naming the policy and noeviction", async () => {
    server = await startPrivateRedis({ extraArgs: ["--maxmemory-policy", "allkeys-lru"] });
    const { logger } = memoryLogger("silent");
    const opening = openStore(config(server.url), logger);
    await expect(opening).rejects.toThrow(/maxmemory-policy is "allkeys-lru".*noeviction/);
    await expect(opening).rejects.toThrow(/REDIS_ALLOW_EVICTION=true/);
  });

  it("with REDIS_ALLOW_EVICTION=true starts, warns once, and keeps the warning for /readyz", async () => {
    server = await startPrivateRedis({ extraArgs: ["--maxmemory-policy", "volatile-ttl"] });
    const { logger, lines } = memoryLogger("info");
    const { store, warnings } = await openStore(config(server.url, true), logger);
    expect(store.notReadyReason()).toBeNull();
    expect(warnings).toEqual([expect.stringMatching(/"volatile-ttl", not noeviction/)]);
    expect(lines.filter((l) => l.includes("maxmemory-policy") && l.includes('"level":40'))).toHaveLength(1);
    await store.close();
  });

  it("where CONFIG is not permitted (renamed away), warns once that it could not be checked", async () => {
    server = await startPrivateRedis({ extraArgs: ["--rename-command", "CONFIG", '""'] });
    const { logger, lines } = memoryLogger("info");
    const { store, warnings } = await openStore(config(server.url), logger);
    expect(warnings).toEqual([expect.stringMatching(/could not check maxmemory-policy/)]);
    expect(lines.filter((l) => l.includes("could not check maxmemory-policy"))).toHaveLength(1);
    await store.close();
  });
});
