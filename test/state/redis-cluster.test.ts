import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedisStore } from "../../src/state/redis-store.js";
import { memoryLogger } from "../support/core.js";
import { type PrivateCluster, startPrivateCluster } from "../support/redis.js";
import { entry, runStoreContract } from "./contract.js";

const LIMITS = { maxPending: 10, maxPendingPerUser: 10, dedupeTtlMs: 60_000 };

let cluster: PrivateCluster;
let count = 0;
const { logger, lines } = memoryLogger("info");

beforeAll(async () => {
  cluster = await startPrivateCluster(3);
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

// Each store's prefix is another hash tag, so the stores land on different nodes of the cluster.
runStoreContract("RedisStore on a Redis Cluster", () =>
  connectRedisStore({ url: cluster.url, prefix: `{cluster-${++count}}:`, logger }),
);

describe("RedisStore on a Redis Cluster", () => {
  it("finds out it talks to a Cluster and follows its slots from one node's URL", async () => {
    // Prefixes chosen so their slots are spread: some live on nodes other than the one in the URL.
    const stores = await Promise.all(
      ["a", "b", "c", "d", "e", "f"].map((tag) =>
        connectRedisStore({ url: cluster.url, prefix: `{${tag}}:`, logger }),
      ),
    );
    try {
      for (const store of stores) {
        expect(
          await store.accept(entry(), { maxPending: 10, maxPendingPerUser: 10, dedupeTtlMs: 60_000 }),
        ).toBe("queued");
        const claim = await store.claim(["slack"], 30_000);
        expect(claim).not.toBeNull();
        if (claim) expect(await store.complete(claim.lease, 30_000)).toBeNull();
      }
      expect(lines.join("")).toContain("redis: Redis Cluster, following its slots");
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("passes the URL's password on to every node it discovers", async () => {
    const guarded = await startPrivateCluster(3, "cluster-pw-1234");
    try {
      const stores = await Promise.all(
        ["a", "b", "c"].map((tag) => connectRedisStore({ url: guarded.url, prefix: `{${tag}}:`, logger })),
      );
      for (const store of stores) expect(await store.accept(entry(), LIMITS)).toBe("queued");
      await Promise.all(stores.map((store) => store.close()));
    } finally {
      await guarded.close();
    }
  }, 60_000);
});
