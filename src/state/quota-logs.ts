import { TtlMap } from "../collections/ttl-map.js";
import type { QuotaCount } from "./store.js";

/**
 * The memory store's usage-quota windows: per quota and scope, when its counted questions were
 * accepted, oldest first (the sorted sets of accept.lua). Each log is kept for its window after its
 * last question, and at most `maxLogs` per window length (the least recently counted go first).
 */
export class QuotaLogs {
  readonly #byWindow = new Map<number, TtlMap<number[]>>();
  readonly #maxLogs: number;

  constructor(maxLogs: number) {
    this.#maxLogs = maxLogs;
  }

  /** Of the quotas with no room at `now`, the one that resets last, and when; null when all have room. */
  usedUp(counts: readonly QuotaCount[], now: number): { count: QuotaCount; resetInMs: number } | null {
    let over: { count: QuotaCount; resetInMs: number } | null = null;
    for (const count of counts) {
      const times = this.#recent(count, now);
      if (times.length < count.limit) continue;
      // Room for one more once the (counted - limit + 1)-th oldest leaves the window.
      const oldest = times[times.length - count.limit] ?? now;
      const resetInMs = Math.max(1, Math.ceil(oldest + count.windowMs - now));
      if (over === null || resetInMs > over.resetInMs) over = { count, resetInMs };
    }
    return over;
  }

  /** Counts one question at `now` in each quota. */
  count(counts: readonly QuotaCount[], now: number): void {
    for (const count of counts) {
      const times = this.#recent(count, now);
      times.push(now);
      // Date.now may step back (a clock adjustment): keep the log in order.
      if (now < (times[times.length - 2] ?? now)) times.sort((a, b) => a - b);
      this.#logs(count.windowMs).set(`${count.kind}:${count.scope}`, times);
    }
  }

  /** The times in `count`'s window at `now`; older ones are dropped. */
  #recent(count: QuotaCount, now: number): number[] {
    const times = this.#logs(count.windowMs).get(`${count.kind}:${count.scope}`) ?? [];
    // Windows are half-open, (now - window, now], like the starts' window.
    let expired = 0;
    while (expired < times.length && (times[expired] ?? 0) <= now - count.windowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    return times;
  }

  #logs(windowMs: number): TtlMap<number[]> {
    let logs = this.#byWindow.get(windowMs);
    if (logs === undefined) {
      logs = new TtlMap<number[]>({ ttlMs: windowMs, maxEntries: this.#maxLogs });
      this.#byWindow.set(windowMs, logs);
    }
    return logs;
  }
}
