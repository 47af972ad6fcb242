import type { RedisConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { MemoryStore } from "./memory-store.js";
import { connectRedisStore } from "./redis-store.js";
import type { BridgeStore } from "./store.js";

/** The store the configuration asks for: Redis when REDIS_URL is set, else this process's memory. */
export async function openStore(redis: RedisConfig | null, logger: Logger): Promise<BridgeStore> {
  if (redis === null) return new MemoryStore();
  return connectRedisStore({ url: redis.url, prefix: redis.prefix, logger });
}
