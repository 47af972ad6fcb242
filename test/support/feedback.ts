import type { FeedbackClient } from "../../src/assistant/types.js";
import type { Logger } from "../../src/logger.js";
import type { Metrics } from "../../src/metrics.js";
import { FeedbackRecorder, type FeedbackRecorderOptions } from "../../src/pipeline/feedback.js";
import type { BridgeStore } from "../../src/state/store.js";

export type FeedbackStore = Pick<BridgeStore, "once" | "forget" | "remember" | "recall">;

/**
 * A tiny in-test stand-in for the four BridgeStore methods the recorder uses, until the real
 * MemoryStore lands (then the tests switch to it). `down` makes every call reject, as a lost Redis would.
 */
export class FakeFeedbackStore implements FeedbackStore {
  readonly keys = new Map<string, { value: string; expiresAt: number }>();
  down = false;

  async once(key: string, ttlMs: number): Promise<boolean> {
    this.#check();
    if (this.#live(key) !== null) return false;
    this.keys.set(key, { value: "1", expiresAt: Date.now() + ttlMs });
    return true;
  }
  async forget(key: string): Promise<void> {
    this.#check();
    this.keys.delete(key);
  }
  async remember(key: string, value: string, ttlMs: number): Promise<void> {
    this.#check();
    this.keys.set(key, { value, expiresAt: Date.now() + ttlMs });
  }
  async recall(key: string): Promise<string | null> {
    this.#check();
    return this.#live(key);
  }

  #live(key: string): string | null {
    const entry = this.keys.get(key);
    if (!entry || entry.expiresAt <= Date.now()) return null;
    return entry.value;
  }
  #check(): void {
    if (this.down) throw new Error("store unavailable (test)");
  }
}

/** A schedule that just runs the task (the rate limit is the bridge's, not under test here). */
export const runNow: FeedbackRecorderOptions["schedule"] = (task) => task(new AbortController().signal);

/** A recorder over `client` with the fake store and `runNow`, unless the test passes its own. */
export function testRecorder(
  client: FeedbackClient,
  logger: Logger,
  metrics: Metrics,
  overrides: Partial<FeedbackRecorderOptions> = {},
): { recorder: FeedbackRecorder; store: FakeFeedbackStore } {
  const store = new FakeFeedbackStore();
  const recorder = new FeedbackRecorder({ client, store, schedule: runNow, logger, metrics, ...overrides });
  return { recorder, store };
}
