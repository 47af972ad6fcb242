import type { Platform } from "../types.js";

interface Waiter {
  readonly platforms: readonly Platform[];
  readonly wake: () => void;
}

/** One wait of `waitForWork`: over when woken, after its timeout, or when its signal aborts. */
export interface Wait {
  readonly woken: Promise<void>;
  /** Ends the wait now (safe to call more than once). */
  wake(): void;
}

/**
 * The idle workers of `waitForWork`, each waiting for work of some platforms. Both stores keep them
 * here: the memory store wakes them when a session becomes ready, the Redis store when a bell rings.
 */
export class Waiters {
  readonly #waiting = new Set<Waiter>();

  /** A wait of at most `timeoutMs`; an infinite one (nobody else's work to sweep for) sets no timer. */
  add(platforms: readonly Platform[], timeoutMs: number, signal: AbortSignal): Wait {
    let wake = () => {};
    const woken = new Promise<void>((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => wake(), timeoutMs) : undefined;
      const waiter: Waiter = { platforms, wake: () => wake() };
      wake = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", wake);
        this.#waiting.delete(waiter);
        resolve();
      };
      signal.addEventListener("abort", wake, { once: true });
      this.#waiting.add(waiter);
    });
    return { woken, wake: () => wake() };
  }

  /** Wakes the waits that take work of `platform`. */
  wake(platform: Platform): void {
    for (const waiter of this.#waiting) if (waiter.platforms.includes(platform)) waiter.wake();
  }

  /** Wakes every wait (the store closes). */
  wakeAll(): void {
    for (const waiter of [...this.#waiting]) waiter.wake();
  }
}
