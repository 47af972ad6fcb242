import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { backoffMs } from "./retry-policy.js";
import { sleep } from "./sleep.js";

/** Store calls of work in progress are retried this long apart at most while the store is down. */
export function storeRetryDelayMs(failures: number): number {
  return Math.min(5_000, backoffMs(failures));
}

/** Runs one store call of work in progress (`operation` names it in metrics and logs). */
export type StoreStep = <T>(operation: string, call: () => Promise<T>) => Promise<T>;

/**
 * Store calls of work in progress: each is retried with back-off until the store answers (work is
 * finished and recorded once it is back), or, once `graceOver` is aborted, after a few more tries.
 * A `false` answer of a fenced step is not a failure: it means another worker holds the session now.
 */
export function retryingStoreSteps(metrics: Metrics, logger: Logger, graceOver: AbortSignal): StoreStep {
  return async (operation, call) => {
    for (let failures = 0; ; failures++) {
      try {
        return await call();
      } catch (error) {
        metrics.storeErrors.inc({ operation });
        if (failures === 0) logger.warn({ err: error, operation }, "store call failed; retrying");
        if (graceOver.aborted && failures >= 3) throw error;
        await sleep(storeRetryDelayMs(failures));
      }
    }
  };
}
