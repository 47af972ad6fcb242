import type { FeedbackClient } from "../../src/assistant/types.js";
import type { Logger } from "../../src/logger.js";
import type { Metrics } from "../../src/metrics.js";
import { FeedbackRecorder, type FeedbackRecorderOptions } from "../../src/pipeline/feedback.js";
import { MemoryStore } from "../../src/state/memory-store.js";

/** The real MemoryStore, whose calls the recorder makes can be made to reject, as a lost Redis would. */
export class FlakyStore extends MemoryStore {
  down = false;

  override async once(key: string, ttlMs: number): Promise<boolean> {
    this.#check();
    return super.once(key, ttlMs);
  }
  override async forget(key: string): Promise<void> {
    this.#check();
    return super.forget(key);
  }
  override async remember(key: string, value: string, ttlMs: number): Promise<void> {
    this.#check();
    return super.remember(key, value, ttlMs);
  }
  override async recall(key: string): Promise<string | null> {
    this.#check();
    return super.recall(key);
  }

  #check(): void {
    if (this.down) throw new Error("store unavailable (test)");
  }
}

/** A schedule that just runs the task (the rate limit is the bridge's, not under test here). */
export const runNow: FeedbackRecorderOptions["schedule"] = (task) => task(new AbortController().signal);

/** A recorder over `client` with a FlakyStore and `runNow`, unless the test passes its own. */
export function testRecorder(
  client: FeedbackClient,
  logger: Logger,
  metrics: Metrics,
  overrides: Partial<FeedbackRecorderOptions> = {},
): { recorder: FeedbackRecorder; store: FlakyStore } {
  const store = new FlakyStore();
  const recorder = new FeedbackRecorder({ client, store, schedule: runNow, logger, metrics, ...overrides });
  return { recorder, store };
}
