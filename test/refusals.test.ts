import { describe, expect, it } from "vitest";
import { REFUSAL_QUIET_MS, shouldTellRefusal } from "../src/refusals.js";
import { memoryLogger } from "./support/core.js";

/** A shared memory's `once` on a clock the test moves. */
function memory() {
  let now = 0;
  const until = new Map<string, number>();
  return {
    once: async (key: string, ttlMs: number) => {
      if ((until.get(key) ?? -1) > now) return false;
      until.set(key, now + ttlMs);
      return true;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("shouldTellRefusal", () => {
  const { logger } = memoryLogger("silent");

  it("tells a person once per conversation per hour", async () => {
    const shared = memory();
    const tell = (person: string, conversation = "C1/123.4") =>
      shouldTellRefusal(shared, logger, { platform: "slack", conversation, person });
    expect(await tell("u1")).toBe(true);
    expect(await tell("u1")).toBe(false);
    // Someone else in the same conversation, or the same person elsewhere, is told too.
    expect(await tell("u2")).toBe(true);
    expect(await tell("u1", "C1/999.9")).toBe(true);
    shared.advance(REFUSAL_QUIET_MS + 1);
    expect(await tell("u1")).toBe(true);
    expect(REFUSAL_QUIET_MS).toBe(60 * 60_000);
  });

  it("keeps the platforms apart", async () => {
    const shared = memory();
    const refused = { conversation: "c", person: "u1" };
    expect(await shouldTellRefusal(shared, logger, { platform: "slack", ...refused })).toBe(true);
    expect(await shouldTellRefusal(shared, logger, { platform: "discord", ...refused })).toBe(true);
  });

  it("tells the refusal when the shared memory cannot be reached", async () => {
    const down = { once: async () => Promise.reject(new Error("store down")) };
    expect(
      await shouldTellRefusal(down, logger, { platform: "discord", conversation: "c", person: "u" }),
    ).toBe(true);
  });
});
