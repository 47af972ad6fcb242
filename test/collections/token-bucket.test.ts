import { expect, test } from "vitest";
import { TokenBucket } from "../../src/collections/token-bucket.js";

test("gives a minute's worth at once, then one more per refill", () => {
  let now = 0;
  const bucket = new TokenBucket({ perMinute: 2, now: () => now });
  expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
  now += 29_000;
  expect(bucket.take()).toBe(false);
  now += 1_000;
  expect(bucket.take()).toBe(true);
  // Never more than a minute's worth saved up.
  now += 10 * 60_000;
  expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
});

test("a budget of 0 never gives a token; a negative one is refused", () => {
  expect(new TokenBucket({ perMinute: 0 }).take()).toBe(false);
  expect(() => new TokenBucket({ perMinute: -1 })).toThrow(/0 or more, got -1/);
});
