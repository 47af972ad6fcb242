import type { RedisConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { MemoryStore } from "./memory-store.js";
import type { BridgeStore } from "./store.js";

/** The store the configuration asks for: Redis when REDIS_URL is set, else this process's memory. */
export async function openStore(redis: RedisConfig | null, logger: Logger): Promise<BridgeStore> {
  if (redis === null) return new MemoryStore();
  // Loaded only when used, like the adapters: the memory mode loads no Redis client at start-up.
  const { connectRedisStore } = await import("./redis-store.js");
  const store = await connectRedisStore({ url: redis.url, prefix: redis.prefix, logger });
  logger.info(
    { prefix: redis.prefix },
    "shared state on Redis: every replica with this REDIS_URL and prefix acts as one bridge",
  );
  return store;
}
