import { type PostContext, PostInterruptedError, type ThreadPort } from "../adapter.js";
import { threadKeyFor } from "../identity.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { notices } from "../notices.js";
import type { BridgeStore, Claim, HistoryAppend, Lease, SessionHead } from "../state/store.js";
import type { ChatMessage, Platform, Reply } from "../types.js";
import { type Ask, LeftForOthersError } from "./ask.js";
import { LeaseLostError } from "./call-gate.js";
import { notice } from "./reply-for.js";
import { sleep } from "./sleep.js";
import { type StoreStep, storeRetryDelayMs } from "./store-retry.js";
import { questionWithContext, type ThreadContextLimits } from "./thread-context.js";

export interface StopReport {
  /** Messages answered (or noticed) normally during the drain. */
  drained: number;
  /** Messages that got the "restarting, please ask again" notice instead. */
  unfinished: number;
  /** Sessions left queued in the shared store for the other replicas (Redis only). */
  left: number;
}

export interface WorkersOptions {
  store: BridgeStore;
  ask: Ask;
  /** The reply port of a message, rebuilt from its address: any replica may answer any message. */
  portFor: (message: ChatMessage) => ThreadPort;
  /** Calls this process may run at once; it holds twice as many sessions. */
  concurrency: number;
  /** How long a worker holds a session without renewing it; renewed every third of it. */
  leaseMs: number;
  storeStep: StoreStep;
  /** Null: THREAD_CONTEXT=off, questions go alone. */
  threadContext: ThreadContextLimits | null;
  /** ASSISTANT_MAX_INPUT_CHARS: the question with its context stays within it. */
  maxInputChars: number;
  /** Aborted at stop: no new sessions are claimed (shared store: at once; memory: after the drain). */
  claiming: AbortSignal;
  /** Aborted when the grace time is over: messages not yet asked get the "restarting" notice. */
  graceOver: AbortSignal;
  logger: Logger;
  metrics: Metrics;
  /**
   * How long a session's messages are held while no reply can reach it (a revoked token) before
   * they are given up; counted from when the session began waiting. @default 1 hour
   */
  holdUnreplyableMs?: number;
}

/** How often a session held for its platform's credentials asks its port again (the port paces its own checks). */
const REPLYABLE_POLL_MS = 1_000;

/**
 * This process's workers: claim sessions from the store while there are free slots, answer each
 * session's messages in order under its lease (renewed while a message takes long, every store step
 * fenced by it), take over sessions whose worker died, and settle each message (record its reply,
 * then post it) so a crash in between never asks the assistant twice.
 */
export class Workers {
  readonly #options: WorkersOptions;
  readonly #store: BridgeStore;
  /** Leases of the sessions this process is answering. */
  readonly #held = new Set<Lease>();
  /**
   * Held sessions that wait only on their platform (a post Slack has not settled, a token that does
   * not work): they use no assistant call, so they take no slot, and other platforms' work goes on.
   */
  readonly #parked = new Set<Lease>();
  /** Per session held for its credentials: when it began waiting (performance.now()). */
  readonly #waitingSince = new Map<string, number>();
  /** Wakes the dispatcher when a held session ends (a slot is free). */
  #slotFreed: (() => void) | null = null;
  #idleWaiters: Array<() => void> = [];
  #draining = false;
  readonly #report: StopReport = { drained: 0, unfinished: 0, left: 0 };

  constructor(options: WorkersOptions) {
    this.#options = options;
    this.#store = options.store;
  }

  /** What the stop did with the work in hand. */
  get report(): StopReport {
    return this.#report;
  }

  /** From now on, answered messages count as drained. */
  startDraining(): void {
    this.#draining = true;
  }

  /** Wakes the dispatcher waiting for a free slot, so it sees that claiming has stopped. */
  wake(): void {
    this.#slotFreed?.();
  }

  /** Claims sessions while this process has free slots, and recovers dead workers' sessions. */
  async run(platforms: readonly Platform[]): Promise<void> {
    const { concurrency, leaseMs, metrics, logger, claiming: signal } = this.#options;
    // Only a shared store has workers in other processes that can die holding a session.
    const sweepEveryMs = this.#store.shared ? leaseMs / 3 : Number.POSITIVE_INFINITY;
    let nextSweep = this.#store.shared ? 0 : Number.POSITIVE_INFINITY;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (Date.now() >= nextSweep) {
          nextSweep = Date.now() + sweepEveryMs;
          const recovered = await this.#store.recoverExpired();
          if (recovered > 0) {
            metrics.recovered.inc({ phase: "session" }, recovered);
            logger.warn({ sessions: recovered }, "took over sessions whose worker stopped");
          }
        }
        // Twice the calls that may run: the next session's call already waits in the local queue when
        // one finishes (no claim round trip in between), and questions stay ahead of feedback calls.
        if (this.#held.size - this.#parked.size >= 2 * concurrency) {
          await new Promise<void>((resolve) => {
            this.#slotFreed = resolve;
          });
          continue;
        }
        const claim = await this.#store.claim(platforms, leaseMs);
        failures = 0;
        if (claim) {
          void this.#runSession(claim);
          continue;
        }
        await this.#store.waitForWork(platforms, Math.max(1, nextSweep - Date.now()), signal);
      } catch (error) {
        metrics.storeErrors.inc({ operation: "claim" });
        if (failures++ === 0) logger.error({ err: error }, "could not take work from the store; retrying");
        await sleep(storeRetryDelayMs(failures), signal);
      }
    }
  }

  /** Posts a reply to the message's thread; failures are counted and logged, never thrown. */
  async post(message: ChatMessage, reply: Reply, log: Logger): Promise<void> {
    let port: ThreadPort;
    try {
      port = this.#options.portFor(message);
    } catch (error) {
      this.#options.metrics.replyErrors.inc({ platform: message.platform });
      log.error({ err: error, kind: reply.kind }, "no port for the reply's address");
      return;
    }
    await this.#postTo(port, message, reply, log);
  }

  /** Idle: no session held here, and (in memory) nothing left queued that this process must answer. */
  async idle(): Promise<boolean> {
    if (this.#held.size > 0) return false;
    if (this.#store.shared) return true;
    return (await this.#store.depth().catch(() => 0)) === 0;
  }

  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      void this.#checkIdle();
    });
  }

  /** Answers the session's messages one after another while the lease holds. */
  async #runSession(claim: Claim): Promise<void> {
    const { lease } = claim;
    const { leaseMs, claiming, storeStep, logger } = this.#options;
    this.#held.add(lease);
    // In one process nobody else can take the session over, so only a shared store's lease is renewed.
    const heartbeat = this.#store.shared
      ? setInterval(() => void this.#renew(lease), leaseMs / 3)
      : undefined;
    heartbeat?.unref();
    try {
      let head: SessionHead | null | "lost" = claim.head;
      while (head !== null && head !== "lost") {
        if (head.phase === "queued" && claiming.aborted && this.#store.shared) {
          return await this.#leave(lease);
        }
        try {
          if (!(await this.#answer(lease, head))) return;
        } catch (error) {
          if (error instanceof LeaseLostError) return;
          if (error instanceof LeftForOthersError) return await this.#leave(lease);
          // #answer catches what it expects; a bug must still not stall the session's later messages.
          const { requestId } = head.entry;
          logger.error({ err: error, requestId }, "message handling failed");
        }
        head = await storeStep("complete", () => this.#store.complete(lease, leaseMs));
      }
    } catch (error) {
      logger.error({ err: error }, "session worker stopped");
    } finally {
      clearInterval(heartbeat);
      this.#held.delete(lease);
      this.#waitingSince.delete(lease.sessionId);
      this.#slotFreed?.();
      this.#slotFreed = null;
      void this.#checkIdle();
    }
  }

  /** A rolling restart: the next process or another replica answers the session; nobody needs a notice. */
  async #leave(lease: Lease): Promise<void> {
    await this.#options.storeStep("release", () => this.#store.release(lease));
    this.#report.left++;
  }

  /** Answers the session's first message as far as it got; false when the lease was lost. */
  async #answer(lease: Lease, head: SessionHead): Promise<boolean> {
    const { entry } = head;
    const { message, requestId } = entry;
    const { metrics } = this.#options;
    const log = this.#options.logger.child({
      platform: message.platform,
      thread: threadKeyFor(message),
      requestId,
    });
    if (head.phase !== "queued") {
      // Taken over from a worker that died: never call the assistant again for it.
      metrics.recovered.inc({ phase: head.phase });
      const reply = head.reply ?? notice("lost", notices.lost(requestId), requestId);
      log.warn(
        { phase: head.phase, kind: reply.kind },
        "answering a message taken over from a stopped worker",
      );
      await this.#postHeld(lease, message, reply, log, null, head.phase === "answered");
      return true;
    }
    if (this.#options.graceOver.aborted) {
      return this.#settle(
        lease,
        message,
        this.#tally(notice("restarting", notices.restarting(), requestId)),
        log,
      );
    }
    const port = this.#options.portFor(message);
    if (!port.canReply() && !(await this.#whileParked(lease, () => this.#untilReplyable(lease, port, log)))) {
      // Nothing could be posted all that time (a revoked token): the assistant call would be spent for nothing.
      metrics.messagesUnanswerable.inc({ platform: message.platform, reason: "credentials" });
      log.error("message given up unanswered: no reply could reach its thread for too long");
      return true;
    }
    this.#waitingSince.delete(lease.sessionId);
    let stopWorking: (() => Promise<void>) | undefined;
    try {
      stopWorking = port.startWorking();
    } catch (error) {
      log.warn({ err: error }, "could not show the working indicator");
    }
    try {
      const { threadContext, maxInputChars, graceOver } = this.#options;
      const body = await questionWithContext(port, message, log, {
        limits: threadContext,
        maxInputChars,
        signal: graceOver,
      });
      const { reply, append } = await this.#options.ask.ask(lease, entry, log, body);
      return await this.#settle(lease, message, this.#tally(reply), log, port, append);
    } finally {
      try {
        await stopWorking?.();
      } catch (error) {
        log.warn({ err: error }, "could not remove the working indicator");
      }
    }
  }

  /** Counts a reply made during a stop in the report. */
  #tally(reply: Reply): Reply {
    if (reply.kind === "restarting") this.#report.unfinished++;
    else if (this.#draining) this.#report.drained++;
    return reply;
  }

  /**
   * Records the reply (with the turn to keep in the session's history, in the same step), then posts
   * it: a worker that dies in between leaves it recorded, and the next one posts it instead of asking
   * again. False when the lease was lost (nothing is posted).
   */
  async #settle(
    lease: Lease,
    message: ChatMessage,
    reply: Reply,
    log: Logger,
    port?: ThreadPort,
    append?: HistoryAppend,
  ): Promise<boolean> {
    const recorded = await this.#options.storeStep("record", () =>
      this.#store.recordReply(lease, reply, append),
    );
    if (!recorded) return false;
    await this.#postHeld(lease, message, reply, log, port ?? null, false);
    return true;
  }

  /**
   * Posts a recorded reply while the session stays held, so the session's later messages wait for
   * it however long the platform takes; parked meanwhile (see #parked). Shutdown before the post
   * settled leaves the session in a shared store, where whoever takes it over posts it (`recovered`:
   * looking first).
   */
  async #postHeld(
    lease: Lease,
    message: ChatMessage,
    reply: Reply,
    log: Logger,
    port: ThreadPort | null,
    recovered: boolean,
  ): Promise<void> {
    let to: ThreadPort;
    try {
      to = port ?? this.#options.portFor(message);
    } catch (error) {
      this.#options.metrics.replyErrors.inc({ platform: message.platform });
      log.error({ err: error, kind: reply.kind }, "no port for the reply's address");
      return;
    }
    const context = { recovered, signal: this.#options.graceOver };
    const interrupted = await this.#whileParked(lease, () => this.#postTo(to, message, reply, log, context));
    if (interrupted && this.#store.shared) throw new LeftForOthersError("the reply's post was not settled");
  }

  /** Runs `work` with the session parked (it takes no slot meanwhile). */
  async #whileParked<T>(lease: Lease, work: () => Promise<T>): Promise<T> {
    this.#parked.add(lease);
    this.#slotFreed?.();
    try {
      return await work();
    } finally {
      this.#parked.delete(lease);
    }
  }

  /**
   * Waits, holding the session and asking no assistant, until the port can reply again; false once
   * the session has waited `holdUnreplyableMs`, or at shutdown (a shared store keeps it for the next).
   */
  async #untilReplyable(lease: Lease, port: ThreadPort, log: Logger): Promise<boolean> {
    const holdMs = this.#options.holdUnreplyableMs ?? 60 * 60_000;
    const since = this.#waitingSince.get(lease.sessionId) ?? performance.now();
    this.#waitingSince.set(lease.sessionId, since);
    log.warn("no reply can reach this thread now (the platform refuses the bot's credentials): holding it");
    const { claiming, graceOver } = this.#options;
    while (performance.now() - since < holdMs) {
      if (graceOver.aborted || (claiming.aborted && this.#store.shared)) {
        if (this.#store.shared) throw new LeftForOthersError("held for credentials at shutdown");
        return false;
      }
      await sleep(REPLYABLE_POLL_MS, claiming.aborted ? graceOver : claiming);
      if (port.canReply()) return true;
    }
    return false;
  }

  /** Posts; true when shutdown interrupted the post before it settled (see PostInterruptedError). */
  async #postTo(
    port: ThreadPort,
    message: ChatMessage,
    reply: Reply,
    log: Logger,
    context?: PostContext,
  ): Promise<boolean> {
    try {
      await port.post(reply, context);
      this.#options.metrics.replyPosted(message.platform, reply.kind);
      return false;
    } catch (error) {
      if (error instanceof PostInterruptedError && this.#store.shared) {
        log.warn(
          { kind: reply.kind },
          "stopping before the reply's post settled: left to whoever takes it over",
        );
        return true;
      }
      this.#options.metrics.replyErrors.inc({ platform: message.platform });
      log.error({ err: error, kind: reply.kind }, "could not post the reply");
      return false;
    }
  }

  /** Keeps the lease while a message takes long; a lost lease shows at the next fenced step. */
  async #renew(lease: Lease): Promise<void> {
    try {
      await this.#store.renew(lease, this.#options.leaseMs);
    } catch (error) {
      this.#options.metrics.storeErrors.inc({ operation: "renew" });
      this.#options.logger.warn({ err: error }, "could not renew a session lease");
    }
  }

  async #checkIdle(): Promise<void> {
    if (this.#idleWaiters.length === 0 || !(await this.idle())) return;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }
}
