import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { ThreadPort } from "../adapter.js";
import { DEFAULT_ANSWER_MAX_CHARS } from "../answer-cap.js";
import type { AssistantClient, AssistantMode } from "../assistant/types.js";
import { DEFAULT_HISTORY_MAX_CHARS } from "../config/assistant.js";
import type { QueueConfig } from "../config.js";
import { identityFor, sessionIdFor, threadKeyFor } from "../identity.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { notices, overQuotaNotice } from "../notices.js";
import { NO_QUOTAS, type QuotaConfig, quotaCheck, quotaWording, resetWording } from "../quotas.js";
import {
  type AcceptLimits,
  type BridgeStore,
  DEDUPE_TTL_MS,
  type OverQuota,
  type QueuedMessage,
} from "../state/store.js";
import type { ChatMessage, Platform, Reply, SubmitResult } from "../types.js";
import { Ask } from "./ask.js";
import { CallGate, ShutdownError } from "./call-gate.js";
import { notice } from "./reply-for.js";
import { sleep } from "./sleep.js";
import { retryingStoreSteps } from "./store-retry.js";
import type { ThreadContextLimits } from "./thread-context.js";
import { type StopReport, Workers } from "./worker.js";

export interface BridgeOptions {
  client: AssistantClient;
  store: BridgeStore;
  /** The reply port of a message, rebuilt from its address: any replica may answer any message. */
  portFor: (message: ChatMessage) => ThreadPort;
  queue: QueueConfig;
  mode: AssistantMode;
  maxInputChars: number;
  /** Earlier messages sent with a question that starts a session inside a thread; null: none. @default null */
  threadContext?: ThreadContextLimits | null;
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
  /** The history kept per session for a backend that keeps none (ASSISTANT_HISTORY_MAX_CHARS). @default 24,000 */
  historyMaxChars?: number;
  /** While the backend refuses every call, one call is let through this often. @default 30 s */
  recheckEveryMs?: number;
  /** For tests of the back-off. @default Math.random */
  random?: () => number;
  /** Attach a FeedbackRef to answers (FEEDBACK=buttons). @default false */
  feedback?: boolean;
  /** Usage quotas per person and per workspace (src/quotas.ts). @default none */
  quotas?: QuotaConfig;
  /** How long messages no reply can reach (a revoked token) are held before they are given up. @default 1 hour */
  holdUnreplyableMs?: number;
}

/**
 * The platform-neutral pipeline: durable intake (dedupe, input limits, backpressure), one FIFO per
 * session with a lease so a session's messages are answered in order and one at a time over every
 * replica (worker.ts), a shared rate limit (call-gate.ts), retries of what is safe to retry (ask.ts),
 * and exactly one reply per message (reply-for.ts), also after a crash. Where the state lives is the
 * store's business; this is the one code path. This class takes messages in, starts and stops.
 */
export class Bridge {
  readonly #options: BridgeOptions;
  readonly #store: BridgeStore;
  readonly #gate: CallGate;
  readonly #ask: Ask;
  readonly #workers: Workers;
  /** Aborted at stop: no new sessions are claimed (shared store: at once; memory: after the drain). */
  readonly #claiming = new AbortController();
  /** Aborted when the grace time is over: in-flight calls are cancelled, the rest told to ask again. */
  readonly #graceOver = new AbortController();
  #accepting = true;
  #stopping = false;
  #dispatcher: Promise<void> | null = null;

  constructor(options: BridgeOptions) {
    const { store, metrics, logger, queue } = options;
    this.#options = options;
    this.#store = store;
    // Every call in flight listens to this one signal (at most `concurrency`); by design, not a leak.
    setMaxListeners(0, this.#graceOver.signal);
    const graceOver = this.#graceOver.signal;
    const storeStep = retryingStoreSteps(metrics, logger, graceOver);
    this.#gate = new CallGate({ store, queue, storeStep, graceOver });
    this.#ask = new Ask({
      client: options.client,
      gate: this.#gate,
      store,
      storeStep,
      shared: store.shared,
      mode: options.mode,
      maxRetries: queue.maxRetries,
      historyMaxChars: options.historyMaxChars ?? DEFAULT_HISTORY_MAX_CHARS,
      ...(options.recheckEveryMs === undefined ? {} : { recheckEveryMs: options.recheckEveryMs }),
      replies: {
        maxAnswerChars: options.maxAnswerChars ?? DEFAULT_ANSWER_MAX_CHARS,
        feedback: options.feedback ?? false,
      },
      metrics,
      graceOver,
      ...(options.random ? { random: options.random } : {}),
    });
    this.#workers = new Workers({
      store,
      ask: this.#ask,
      portFor: options.portFor,
      concurrency: queue.concurrency,
      leaseMs: options.leaseMs ?? 30_000,
      storeStep,
      threadContext: options.threadContext ?? null,
      maxInputChars: options.maxInputChars,
      claiming: this.#claiming.signal,
      graceOver,
      logger,
      metrics,
      ...(options.holdUnreplyableMs === undefined ? {} : { holdUnreplyableMs: options.holdUnreplyableMs }),
    });
    metrics.readQueueDepthFrom(() => store.depth());
  }

  /** Starts taking sessions of `platforms` (those whose adapters run in this process) from the store. */
  start(platforms: readonly Platform[]): void {
    this.#dispatcher ??= this.#workers.run(platforms);
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
        return this.#reject(message, log, notice("too_long", notices.tooLong(maxInputChars), requestId));
      }
      const entry: QueuedMessage = {
        key,
        requestId,
        sessionId: sessionIdFor(message),
        userKey: `${message.platform}:${message.workspace}:${message.user}`,
        identity: identityFor(message),
        message,
      };
      const quota = quotaCheck(message, this.#options.quotas ?? NO_QUOTAS);
      const limits: AcceptLimits = {
        maxPending: queue.maxPending,
        maxPendingPerUser: queue.maxPendingPerUser,
        dedupeTtlMs,
        ...(quota ? { quota } : {}),
      };
      const result = await this.#intakeCall(this.#store.accept(entry, limits));
      if (result === "duplicate") return this.#duplicate(message);
      if (result === "busy") return this.#reject(message, log, notice("busy", notices.busy(), requestId));
      if (result !== "queued") return this.#overQuota(message, log, result, requestId);
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
    return this.#ask.notReadyReason();
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
      this.#workers.startDraining();
      if (this.#store.shared) {
        this.#claiming.abort();
        this.#gate.leaveUnstarted(new ShutdownError("leaving the rest to the other replicas"));
      }
      const graceOver = new AbortController();
      await Promise.race([this.#workers.whenIdle(), sleep(graceMs, graceOver.signal)]);
      graceOver.abort();
      if (!(await this.#workers.idle())) {
        const reason = new ShutdownError("shutting down");
        this.#graceOver.abort(reason);
        this.#gate.cancel(reason);
        await this.#workers.whenIdle();
      }
      this.#claiming.abort();
      this.#workers.wake();
    }
    await this.#dispatcher;
    return this.#workers.report;
  }

  /**
   * Runs a Twilio call that is not a question (feedback) through the same queue and shared rate
   * limit, behind the questions; `task` gets the signal that shutdown aborts.
   */
  behindQuestions<T>(task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.#gate.run("feedback", undefined, task);
  }

  #duplicate(message: ChatMessage): SubmitResult {
    this.#options.metrics.dedupeHits.inc({ platform: message.platform });
    return "duplicate";
  }

  #reject(message: ChatMessage, log: Logger, reply: Reply): SubmitResult {
    this.#options.metrics.rejections.inc({ platform: message.platform, reason: reply.kind });
    log.info({ kind: reply.kind }, "message rejected");
    void this.#workers.post(message, reply, log);
    return "rejected";
  }

  /** Refused by a usage quota: no assistant call; the notice, or its quiet sign when the channel was told. */
  #overQuota(message: ChatMessage, log: Logger, over: OverQuota, requestId: string): SubmitResult {
    this.#options.metrics.quotaRefusals.inc({ platform: message.platform, kind: over.over });
    const quotas = this.#options.quotas ?? NO_QUOTAS;
    const unit = (over.over === "person" ? quotas.perPerson : quotas.perWorkspace)?.unit ?? "hour";
    const text = overQuotaNotice(over.over, quotaWording(over.limit, unit), resetWording(over.resetInMs));
    const reply: Reply = { ...notice("over_quota", text, requestId), ...(over.tell ? {} : { quiet: true }) };
    return this.#reject(message, log, reply);
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
}
