import { setMaxListeners } from "node:events";
import PQueue from "p-queue";
import type { QueueConfig } from "../config.js";
import type { BridgeStore, Lease } from "../state/store.js";
import { sleep } from "./sleep.js";
import type { StoreStep } from "./store-retry.js";

/** The bridge is stopping: a call that has not started yet never will (here). */
export class ShutdownError extends Error {
  override name = "ShutdownError";
}

/** The store refused a fenced step: another worker holds the session now. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/** Where a call waits in line: a retry was already at the front; feedback never delays a question. */
const PRIORITY = { retry: 1, question: 0, feedback: -1 } as const;
export type CallPriority = keyof typeof PRIORITY;

export interface CallGateOptions {
  store: BridgeStore;
  queue: Pick<QueueConfig, "concurrency" | "rateLimit" | "rateIntervalMs">;
  /** How the gate's store calls ride out a store outage. */
  storeStep: StoreStep;
  /** Aborted when the grace time is over: every call in flight listens to it and is cancelled. */
  graceOver: AbortSignal;
}

/**
 * The rate-limit policy, in one place. Every Twilio call of this process goes through here: at most
 * `concurrency` in flight (a local queue: retries first, then questions, then feedback calls), at
 * most `rateLimit` started per `rateIntervalMs` over every replica (the store's shared sliding
 * window, checked in the same atomic step that marks the message started), and a pause of every
 * replica's starts when Twilio says to back off. At shutdown, calls that have not started are
 * stopped here.
 */
export class CallGate {
  readonly #store: BridgeStore;
  readonly #options: CallGateOptions;
  readonly #queue: PQueue;
  /** Rejects the caller of every unfinished call (queued or in flight) when the grace time is over. */
  readonly #cancellers = new Set<(reason: unknown) => void>();
  /** The same for calls still waiting for a slot of the local queue, which have not started yet. */
  readonly #waiting = new Set<(reason: unknown) => void>();
  /**
   * Aborted when no call may start any more: at stop with a shared store (a call not yet started is
   * left to the next process), else when the grace time is over.
   */
  readonly #noMoreStarts = new AbortController();

  constructor(options: CallGateOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#queue = new PQueue({ concurrency: options.queue.concurrency });
    // Every call waiting for the shared window sleeps on this one signal (at most `concurrency` of
    // them, each removing its listener when it wakes): by design, not a leak.
    setMaxListeners(0, this.#noMoreStarts.signal);
  }

  /** Calls running or waiting for the shared window (the in-flight gauge). */
  get pending(): number {
    return this.#queue.pending;
  }

  /** True once no call may start any more. */
  get closed(): boolean {
    return this.#noMoreStarts.signal.aborted;
  }

  /**
   * Runs `start` when both the local queue and the shared window let it; it gets the signal that
   * cancels calls in flight at the end of the grace time. With `lease`, the start is fenced (only
   * while this worker holds the session) and marks the session's first message started.
   */
  run<T>(
    priority: CallPriority,
    lease: Lease | undefined,
    start: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    // (`await` flattens the started call's promise into the one the caller gets.)
    return this.#schedule(
      async () => await this.#startWhenGranted(lease, () => start(this.#options.graceOver)),
      PRIORITY[priority],
    );
  }

  /** Every replica waits `ms` before its next start: a 429 is about the account, not this process. */
  async pause(ms: number): Promise<void> {
    await this.#options.storeStep("pause", () => this.#store.pauseStarts(ms));
  }

  /** A shared store's stop: only calls already on their way finish; the rest are the next process's. */
  leaveUnstarted(reason: ShutdownError): void {
    this.#noMoreStarts.abort(reason);
    for (const cancel of this.#waiting) cancel(reason);
  }

  /** The grace time is over: nothing starts any more, and every unfinished call's caller is rejected. */
  cancel(reason: ShutdownError): void {
    this.#noMoreStarts.abort(reason);
    for (const cancel of this.#cancellers) cancel(reason);
    this.#queue.clear();
  }

  /**
   * Waits until the shared sliding window has room for one more start, and runs `start` the moment
   * it is granted (so the call leaves when its start is recorded); with `lease`, only while this
   * worker still holds the session.
   */
  async #startWhenGranted<T>(lease: Lease | undefined, start: () => T): Promise<T> {
    const { rateLimit, rateIntervalMs } = this.#options.queue;
    for (;;) {
      // Also for a task the queue runs after it was cancelled: its call must never go out.
      this.#noMoreStarts.signal.throwIfAborted();
      const granted: { value?: T } = {};
      const wait = await this.#options.storeStep("start", () =>
        this.#store.acquireStart(rateLimit, rateIntervalMs, lease, () => {
          granted.value = start();
        }),
      );
      if (wait === "lost") throw new LeaseLostError("lease lost before the call");
      if ("value" in granted) return granted.value as T;
      await sleep(wait, this.#noMoreStarts.signal);
      this.#noMoreStarts.signal.throwIfAborted();
    }
  }

  /**
   * Runs `task` through the local queue. Queued tasks are cancelled through a set of rejecters rather
   * than an AbortSignal each: EventTarget scans its listeners on every add, so a backlog of n
   * listeners on one signal would cost O(n²).
   */
  #schedule<T>(task: () => Promise<T>, priority: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#cancellers.add(reject);
      this.#waiting.add(reject);
      const started = () => {
        this.#waiting.delete(reject);
        return task();
      };
      this.#queue
        .add(started, { priority })
        .then(resolve, reject)
        .finally(() => {
          this.#cancellers.delete(reject);
          this.#waiting.delete(reject);
        });
    });
  }
}
