import { describe, expect, it } from "vitest";
import { openStore } from "../../src/app.js";
import { memoryLogger } from "../support/core.js";
import { useTestRedis } from "../support/redis.js";

const redis = useTestRedis();

describe("openStore", () => {
  it("keeps state in memory without REDIS_URL, and shares it through Redis with one", async () => {
    const { logger } = memoryLogger("silent");
    const memory = await openStore(null, logger);
    expect(memory.shared).toBe(false);
    const shared = await openStore({ url: redis.url(), prefix: redis.prefix(), leaseMs: 30_000 }, logger);
    expect(shared.shared).toBe(true);
    expect(shared.notReadyReason()).toBeNull();
    await Promise.all([memory.close(), shared.close()]);
  });
});
