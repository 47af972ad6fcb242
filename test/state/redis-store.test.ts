import { describe, expect, it } from "vitest";
import { connectRedisStore } from "../../src/state/redis-store.js";
import { memoryLogger } from "../support/core.js";
import { useTestRedis } from "../support/redis.js";
import { runStoreContract } from "./contract.js";

const redis = useTestRedis();

runStoreContract("RedisStore", () =>
  connectRedisStore({ url: redis.url(), prefix: redis.prefix(), logger: memoryLogger("silent").logger }),
);

describe("RedisStore", () => {
  it("is shared between processes", async () => {
    const store = await connectRedisStore({
      url: redis.url(),
      prefix: redis.prefix(),
      logger: memoryLogger().logger,
    });
    expect(store.shared).toBe(true);
    await store.close();
  });
});
