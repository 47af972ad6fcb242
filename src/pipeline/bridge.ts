import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import PQueue from "p-queue";
import type { ThreadPort } from "../adapter.js";
import { capAnswer, DEFAULT_ANSWER_MAX_CHARS } from "../answer-cap.js";
import { AssistantApiError, AssistantNetworkError, RateLimitedError } from "../assistant/errors.js";
import type { AssistantClient, AssistantMode, AssistantOutcome } from "../assistant/types.js";
import type { QueueConfig } from "../config.js";
import { identityFor, sessionIdFor, threadKeyFor } from "../identity.js";
import type { Logger } from "../logger.js";
import type { CallOutcome, Metrics } from "../metrics.js";
import { notices } from "../notices.js";
import {
  type BridgeStore,
  type Claim,
  DEDUPE_TTL_MS,
  type Lease,
  type QueuedMessage,
  type SessionHead,
} from "../state/store.js";
import type { ChatMessage, Platform, Reply, SubmitResult } from "../types.js";
import { backoffMs, retryDelayMs } from "./retry-policy.js";
import { sleep } from "./sleep.js";

export interface BridgeOptions {
  client: AssistantClient;
  store: BridgeStore;
  /** The reply port of a message, rebuilt from its address: any replica may answer any message. */
  portFor: (message: ChatMessage) => ThreadPort;
  queue: QueueConfig;
  mode: AssistantMode;
  maxInputChars: number;
  /** Answers past this are cut to their start and end (ANSWER_MAX_CHARS). @default 12,000 */
  maxAnswerChars?: number;
  logger: Logger;
  metrics: Metrics;
  /** How long a worker holds a session without renewing it; renewed every third of it. @default 30000 */
  leaseMs?: number;
  /** Intake gives up on a store that has not answered by then, so the platform delivers again. @default 2000 */
  storeTimeoutMs?: number;
  /** How long a message id is remembered (it must outlive Slack's last retry). @default 15 minutes */
  dedupeTtlMs?: number;
  /** For tests of the back-off. @default Math.random */
  random?: () => number;
  /** Attach a FeedbackRef to answers (FEEDBACK=buttons). @default false */
  feedback?: boolean;
}

export interface StopReport {
  /** Messages answered (or noticed) normally during the drain. */
  drained: number;
  /** Messages that got the "restarting, please ask again" notice instead. */
  unfinished: number;
  /** Sessions left queued in the shared store for the other replicas (Redis only). */
  left: number;
}

class ShutdownError extends Error {
  override name = "ShutdownError";
}

/** Shutdown came before the message's call went out: with a shared store, another worker answers it. */
class LeftForOthersError extends Error {
  override name = "LeftForOthersError";
}

/** The store refused a fenced step: another worker holds the session now. */
class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/** Store calls of work in progress are retried this long apart at most while the store is down. */
const STORE_RETRY_CAP_MS = 5_000;

/**
 * The platform-neutral pipeline: durable intake (dedupe, input limits, backpressure), one FIFO per
 * session with a lease so a session's messages are answered in order and one at a time over every
 * replica, a shared rate limit, retries of what is safe to retry, and exactly one reply per message,
 * also after a crash. Where the state lives is the store's business; this is the one code path.
 */
export class Bridge {
  readonly #options: BridgeOptions;
  readonly #store: BridgeStore;
  readonly #queue: PQueue;
  readonly #leaseMs: number;
  /** Aborted at stop: no new sessions are claimed (shared store: at once; memory: after the drain). */
  readonly #claiming = new AbortController();
  /** Aborted when the grace time is over: in-flight calls are cancelled, the rest told to ask again. */
  readonly #shutdown = new AbortController();
  /** Rejects the callers of queued (not yet started) calls on shutdown. */
  readonly #cancellers = new Set<(reason: unknown) => void>();
  /** The same for calls still waiting for a slot of the local queue, which have not started yet. */
  readonly #waiting = new Set<(reason: unknown) => void>();
  /**
   * Aborted when no call may start any more: at stop with a shared store (a call not yet started is
   * left to the next process), else when the grace time is over.
   */
  readonly #noMoreStarts = new AbortController();
  /** Leases of the sessions this process is answering. */
  readonly #held = new Set<Lease>();
  #accepting = true;
  #stopping = false;
  #dispatcher: Promise<void> | null = null;
  /** Wakes the dispatcher when a held session ends (a slot is free). */
  #slotFreed: (() => void) | null = null;
  #idleWaiters: Array<() => void> = [];
  #report: StopReport = { drained: 0, unfinished: 0, left: 0 };
  /** The HTTP status of the last call when Twilio refused the credentials; null once a call succeeds. */
  #credentialsRefused: number | null = null;

  constructor(options: BridgeOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#queue = new PQueue({ concurrency: options.queue.concurrency });
    // Every call in flight listens to this one signal (at most `concurrency`); by design, not a leak.
    setMaxListeners(0, this.#shutdown.signal);
    options.metrics.readQueueDepthFrom(() => this.#store.depth());
  }

  /** Starts taking sessions of `platforms` (those whose adapters run in this process) from the store. */
  start(platforms: readonly Platform[]): void {
    this.#dispatcher ??= this.#dispatch(platforms);
  }

  /**
   * Takes one platform message: stored durably before this resolves. Every "queued" or "rejected"
   * message gets exactly one reply, later, from whichever replica takes it; a duplicate gets none.
   * "stopped" and "unavailable" messages were not taken, so a redelivery can be.
   */
  async submit(message: ChatMessage): Promise<SubmitResult> {
    if (!this.#accepting) return "stopped";
    const { metrics, logger, maxInputChars, queue } = this.#options;
    metrics.messagesReceived.inc({ platform: message.platform });
    const requestId = randomUUID();
    const log = logger.child({ platform: message.platform, thread: threadKeyFor(message), requestId });
    log.debug({ body: message.text }, "message received");
    const key = `${message.platform}:${message.id}`;
    const dedupeTtlMs = this.#options.dedupeTtlMs ?? DEDUPE_TTL_MS;

    try {
      if (message.text.length > maxInputChars) {
        if (!(await this.#intakeCall(this.#store.once(key, dedupeTtlMs)))) return this.#duplicate(message);
        return this.#reject(message, log, {
          kind: "too_long",
          text: notices.tooLong(maxInputChars),
          requestId,
          feedback: null,
        });
      }
      const entry: QueuedMessage = {
        key,
        requestId,
        sessionId: sessionIdFor(message),
        userKey: `${message.platform}:${message.workspace}:${message.user}`,
        identity: identityFor(message),
        message,
      };
      const limits = {
        maxPending: queue.maxPending,
        maxPendingPerUser: queue.maxPendingPerUser,
        dedupeTtlMs,
      };
      const result = await this.#intakeCall(this.#store.accept(entry, limits));
      if (result === "duplicate") return this.#duplicate(message);
      if (result === "busy")
        return this.#reject(message, log, { kind: "busy", text: notices.busy(), requestId, feedback: null });
      return "queued";
    } catch (error) {
      metrics.storeErrors.inc({ operation: "accept" });
      log.error(
        { err: error },
        "could not store the message: not taken, so the platform can deliver it again",
      );
      return "unavailable";
    }
  }

  /** Null while the assistant takes the bridge's credentials, else why not (for /readyz). */
  notReadyReason(): string | null {
    if (this.#credentialsRefused === null) return null;
    return `assistant: Twilio refused the credentials (HTTP ${this.#credentialsRefused}); check TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN or TWILIO_API_KEY/TWILIO_API_SECRET`;
  }

  /**
   * Stops intake and lets in-flight work finish for up to `graceMs`. With a shared store, queued
   * sessions are left to the other replicas (or the next process); in memory, queued messages are
   * answered within the grace time too. What is still running then is cancelled, and its users are
   * told to ask again.
   */
  async stop(graceMs: number): Promise<StopReport> {
    this.#accepting = false;
    if (!this.#stopping) {
      this.#stopping = true;
      if (this.#store.shared) {
        this.#claiming.abort();
        // Only calls already on their way finish here; the rest are the next process's.
        const reason = new ShutdownError("leaving the rest to the other replicas");
        this.#noMoreStarts.abort(reason);
        for (const cancel of this.#waiting) cancel(reason);
      }
      const graceOver = new AbortController();
      await Promise.race([this.#whenIdle(), sleep(graceMs, graceOver.signal)]);
      graceOver.abort();
      if (!(await this.#idle())) {
        const reason = new ShutdownError("shutting down");
        this.#shutdown.abort(reason);
        this.#noMoreStarts.abort(reason);
        for (const cancel of this.#cancellers) cancel(reason);
        this.#queue.clear();
        await this.#whenIdle();
      }
      this.#claiming.abort();
      this.#slotFreed?.();
    }
    await this.#dispatcher;
    return this.#report;
  }

  /**
   * Runs a Twilio call that is not a question (feedback) through the same queue and shared rate
   * limit, behind the questions; `task` gets the signal that shutdown aborts.
   */
  behindQuestions<T>(task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // (`await` flattens the started task's promise into the one the caller gets.)
    return this.#schedule(
      async () => await this.#startWhenGranted(undefined, () => task(this.#shutdown.signal)),
      -1,
    );
  }

  #duplicate(message: ChatMessage): SubmitResult {
    this.#options.metrics.dedupeHits.inc({ platform: message.platform });
    return "duplicate";
  }

  #reject(message: ChatMessage, log: Logger, reply: Reply): SubmitResult {
    this.#options.metrics.rejections.inc({ platform: message.platform, reason: reply.kind });
    log.info({ kind: reply.kind }, "message rejected");
    void this.#post(message, reply, log);
    return "rejected";
  }

  /** A store call of intake: bounded, so a slow store makes intake refuse rather than hang. */
  #intakeCall<T>(call: Promise<T>): Promise<T> {
    const timeoutMs = this.#options.storeTimeoutMs ?? 2_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the store did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }

  /** Claims sessions while this process has free slots, and recovers dead workers' sessions. */
  async #dispatch(platforms: readonly Platform[]): Promise<void> {
    const { queue, metrics, logger } = this.#options;
    const signal = this.#claiming.signal;
    // Only a shared store has workers in other processes that can die holding a session.
    const sweepEveryMs = this.#store.shared ? this.#leaseMs / 3 : Number.POSITIVE_INFINITY;
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
        if (this.#held.size >= 2 * queue.concurrency) {
          await new Promise<void>((resolve) => {
            this.#slotFreed = resolve;
          });
          continue;
        }
        const claim = await this.#store.claim(platforms, this.#leaseMs);
        failures = 0;
        if (claim) {
          void this.#runSession(claim);
          continue;
        }
        await this.#store.waitForWork(platforms, Math.max(1, nextSweep - Date.now()), signal);
      } catch (error) {
        metrics.storeErrors.inc({ operation: "claim" });
        if (failures++ === 0) logger.error({ err: error }, "could not take work from the store; retrying");
        await sleep(Math.min(STORE_RETRY_CAP_MS, backoffMs(failures)), signal);
      }
    }
  }

  /** Answers the session's messages one after another while the lease holds. */
  async #runSession(claim: Claim): Promise<void> {
    const { lease } = claim;
    this.#held.add(lease);
    // In one process nobody else can take the session over, so only a shared store's lease is renewed.
    const heartbeat = this.#store.shared
      ? setInterval(() => void this.#renew(lease), this.#leaseMs / 3)
      : undefined;
    heartbeat?.unref();
    try {
      let head: SessionHead | null | "lost" = claim.head;
      while (head !== null && head !== "lost") {
        if (head.phase === "queued" && this.#claiming.signal.aborted && this.#store.shared) {
          return await this.#leave(lease);
        }
        try {
          if (!(await this.#answer(lease, head))) return;
        } catch (error) {
          if (error instanceof LeaseLostError) return;
          if (error instanceof LeftForOthersError) return await this.#leave(lease);
          // #answer catches what it expects; a bug must still not stall the session's later messages.
          const { requestId } = head.entry;
          this.#options.logger.error({ err: error, requestId }, "message handling failed");
        }
        head = await this.#fenced("complete", () => this.#store.complete(lease, this.#leaseMs));
      }
    } catch (error) {
      this.#options.logger.error({ err: error }, "session worker stopped");
    } finally {
      clearInterval(heartbeat);
      this.#held.delete(lease);
      this.#slotFreed?.();
      this.#slotFreed = null;
      void this.#checkIdle();
    }
  }

  /** A rolling restart: the next process or another replica answers the session; nobody needs a notice. */
  async #leave(lease: Lease): Promise<void> {
    await this.#fenced("release", () => this.#store.release(lease));
    this.#report.left++;
  }

  /** Answers the session's first message as far as it got; false when the lease was lost. */
  async #answer(lease: Lease, head: SessionHead): Promise<boolean> {
    const { entry } = head;
    const { message, requestId } = entry;
    const log = this.#options.logger.child({
      platform: message.platform,
      thread: threadKeyFor(message),
      requestId,
    });
    if (head.phase !== "queued") {
      // Taken over from a worker that died: never call the assistant again for it.
      this.#options.metrics.recovered.inc({ phase: head.phase });
      const reply = head.reply ?? { kind: "lost", text: notices.lost(requestId), requestId, feedback: null };
      log.warn(
        { phase: head.phase, kind: reply.kind },
        "answering a message taken over from a stopped worker",
      );
      await this.#post(message, reply, log);
      return true;
    }
    if (this.#shutdown.signal.aborted) return this.#settle(lease, message, this.#restarting(entry), log);
    const port = this.#options.portFor(message);
    if (!port.canReply()) {
      // Nothing could be posted (a revoked token): the assistant call would be spent for nothing.
      this.#options.metrics.messagesUnanswerable.inc({ platform: message.platform, reason: "credentials" });
      log.warn("message not sent to the assistant: no reply could reach its thread");
      return true;
    }
    let stopWorking: (() => Promise<void>) | undefined;
    try {
      stopWorking = port.startWorking();
    } catch (error) {
      log.warn({ err: error }, "could not show the working indicator");
    }
    try {
      const reply = await this.#ask(lease, entry, log);
      if (reply.kind !== "restarting" && this.#stopping) this.#report.drained++;
      return await this.#settle(lease, message, reply, log, port);
    } finally {
      try {
        await stopWorking?.();
      } catch (error) {
        log.warn({ err: error }, "could not remove the working indicator");
      }
    }
  }

  /**
   * Records the reply, then posts it: a worker that dies in between leaves it recorded, and the next
   * one posts it instead of asking again. False when the lease was lost (nothing is posted).
   */
  async #settle(
    lease: Lease,
    message: ChatMessage,
    reply: Reply,
    log: Logger,
    port?: ThreadPort,
  ): Promise<boolean> {
    if (!(await this.#fenced("record", () => this.#store.recordReply(lease, reply)))) return false;
    if (port) await this.#postTo(port, message, reply, log);
    else await this.#post(message, reply, log);
    return true;
  }

  /** Calls the assistant, retrying what is safe to retry; always ends in a reply. */
  async #ask(lease: Lease, entry: QueuedMessage, log: Logger): Promise<Reply> {
    const { client, metrics, queue, mode } = this.#options;
    const request = { identity: entry.identity, body: entry.message.text, sessionId: entry.sessionId, mode };
    // Once marked started, the message is never sent to Twilio again, whoever holds it next.
    let marked = false;
    for (let attempt = 0; ; attempt++) {
      let started: number | null = null;
      try {
        // Retries go first: they were already at the front of the line.
        const outcome = await this.#schedule(
          // Fenced, and marks the message started; the call leaves in the same step as its start.
          () =>
            this.#startWhenGranted(lease, () => {
              marked = true;
              started = performance.now();
              metrics.inFlight.set(this.#queue.pending);
              return client.send(request, this.#shutdown.signal);
            }),
          attempt > 0 ? 1 : 0,
        );
        this.#observe(started ?? performance.now(), outcome.kind);
        this.#credentialsAccepted(log);
        log.info({ outcome: outcome.kind, attempt }, "assistant answered");
        return this.#toReply(outcome, entry, log);
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        if (started !== null) this.#observe(started, callOutcome(error));
        if (this.#noMoreStarts.signal.aborted && this.#store.shared && !marked) {
          throw new LeftForOthersError("stopped before the call");
        }
        if (this.#shutdown.signal.aborted) return this.#restarting(entry);
        const delay = attempt < queue.maxRetries ? retryDelayMs(error, attempt, this.#options.random) : null;
        if (delay === null) {
          log.error({ err: error, attempt }, "assistant call failed");
          if (error instanceof AssistantApiError && error.credentialsRefused) {
            this.#credentialsRejected(error.status, log);
            return {
              kind: "failure",
              text: notices.unavailable(entry.requestId),
              requestId: entry.requestId,
              feedback: null,
            };
          }
          const timedOut = error instanceof AssistantNetworkError && error.failure === "timeout";
          const { requestId } = entry;
          const text = timedOut ? notices.timeout(requestId) : notices.failure(requestId);
          return { kind: "failure", text, requestId, feedback: null };
        }
        log.warn({ err: error, attempt, delayMs: delay }, "assistant call will be retried");
        // Every replica waits: a 429 is about the account, not this process.
        await this.#fenced("pause", () => this.#store.pauseStarts(delay));
      } finally {
        metrics.inFlight.set(this.#queue.pending);
      }
    }
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
      const wait = await this.#fenced("start", () =>
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

  #toReply(outcome: AssistantOutcome, entry: QueuedMessage, log: Logger): Reply {
    const { requestId } = entry;
    switch (outcome.kind) {
      case "answer":
      case "flagged": {
        const text = capAnswer(outcome.body, this.#options.maxAnswerChars ?? DEFAULT_ANSWER_MAX_CHARS);
        if (text !== outcome.body) {
          this.#options.metrics.answersCut.inc();
          log.info({ chars: outcome.body.length }, "answer cut to ANSWER_MAX_CHARS");
        }
        // The session Twilio answered for (it may prefix it), else the one we sent.
        const feedback = this.#options.feedback
          ? { sessionId: outcome.sessionId ?? entry.sessionId, answerId: requestId }
          : null;
        return { kind: outcome.kind, text, requestId, feedback };
      }
      case "aborted":
        return { kind: "aborted", text: notices.aborted(requestId), requestId, feedback: null };
      case "failure":
        log.error({ error: outcome.error }, "assistant reported a failure");
        return { kind: "failure", text: notices.failure(requestId), requestId, feedback: null };
    }
  }

  /**
   * A store call of work in progress: retried with back-off until the store answers (work is
   * finished and recorded once it is back), or until the grace time is over. A `false` answer of a
   * fenced step means another worker holds the session now.
   */
  async #fenced<T>(operation: string, call: () => Promise<T>): Promise<T> {
    for (let failures = 0; ; failures++) {
      try {
        return await call();
      } catch (error) {
        this.#options.metrics.storeErrors.inc({ operation });
        if (failures === 0)
          this.#options.logger.warn({ err: error, operation }, "store call failed; retrying");
        if (this.#shutdown.signal.aborted && failures >= 3) throw error;
        await sleep(Math.min(STORE_RETRY_CAP_MS, backoffMs(failures)));
      }
    }
  }

  /** Keeps the lease while a message takes long; a lost lease shows at the next fenced step. */
  async #renew(lease: Lease): Promise<void> {
    try {
      await this.#store.renew(lease, this.#leaseMs);
    } catch (error) {
      this.#options.metrics.storeErrors.inc({ operation: "renew" });
      this.#options.logger.warn({ err: error }, "could not renew a session lease");
    }
  }

  /**
   * Runs `task` through the shared queue. Queued tasks are cancelled through a set of rejecters rather
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

  /** Logged once when the refusals start, at error level: every later call fails the same way. */
  #credentialsRejected(status: number, log: Logger): void {
    if (this.#credentialsRefused === null) {
      log.error({ status }, "Twilio refused the assistant credentials; users are told it is unavailable");
    }
    this.#credentialsRefused = status;
  }

  #credentialsAccepted(log: Logger): void {
    if (this.#credentialsRefused === null) return;
    this.#credentialsRefused = null;
    log.info("Twilio accepts the assistant credentials again");
  }

  #restarting(entry: QueuedMessage): Reply {
    this.#report.unfinished++;
    return { kind: "restarting", text: notices.restarting(), requestId: entry.requestId, feedback: null };
  }

  async #post(message: ChatMessage, reply: Reply, log: Logger): Promise<void> {
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

  async #postTo(port: ThreadPort, message: ChatMessage, reply: Reply, log: Logger): Promise<void> {
    try {
      await port.post(reply);
      this.#options.metrics.replyPosted(message.platform, reply.kind);
    } catch (error) {
      this.#options.metrics.replyErrors.inc({ platform: message.platform });
      log.error({ err: error, kind: reply.kind }, "could not post the reply");
    }
  }

  #observe(started: number, outcome: CallOutcome): void {
    const { metrics } = this.#options;
    metrics.assistantCalls.inc({ outcome });
    metrics.assistantLatency.observe((performance.now() - started) / 1000);
  }

  /** Idle: no session held here, and (in memory) nothing left queued that this process must answer. */
  async #idle(): Promise<boolean> {
    if (this.#held.size > 0) return false;
    if (this.#store.shared) return true;
    return (await this.#store.depth().catch(() => 0)) === 0;
  }

  async #checkIdle(): Promise<void> {
    if (this.#idleWaiters.length === 0 || !(await this.#idle())) return;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  #whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      void this.#checkIdle();
    });
  }
}

function callOutcome(error: unknown): CallOutcome {
  if (error instanceof RateLimitedError) return "rate_limited";
  if (error instanceof AssistantNetworkError)
    return error.failure === "timeout" ? "timeout" : "network_error";
  if (error instanceof AssistantApiError) return error.credentialsRefused ? "unauthorized" : "api_error";
  return "failure";
}
