import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import PQueue from "p-queue";
import { capAnswer, DEFAULT_ANSWER_MAX_CHARS } from "../answer-cap.js";
import { AssistantApiError, AssistantNetworkError, RateLimitedError } from "../assistant/errors.js";
import type { AssistantClient, AssistantMode, AssistantOutcome } from "../assistant/types.js";
import { TtlSet } from "../collections/ttl-set.js";
import type { QueueConfig } from "../config.js";
import { identityFor, sessionIdFor, threadKeyFor } from "../identity.js";
import type { Logger } from "../logger.js";
import type { CallOutcome, Metrics } from "../metrics.js";
import { notices } from "../notices.js";
import type { ChatMessage, Reply, SubmitResult, ThreadPort } from "../types.js";
import { retryDelayMs } from "./retry-policy.js";
import { StartWindow } from "./start-window.js";

export interface BridgeOptions {
  client: AssistantClient;
  queue: QueueConfig;
  mode: AssistantMode;
  maxInputChars: number;
  /** Answers past this are cut to their start and end (ANSWER_MAX_CHARS). @default 12,000 */
  maxAnswerChars?: number;
  logger: Logger;
  metrics: Metrics;
  /** Seen-message memory. @default 15 minutes, 50,000 entries */
  dedupe?: { ttlMs: number; maxEntries: number };
  /** For tests of the back-off. @default Math.random */
  random?: () => number;
}

export interface StopReport {
  /** Messages answered (or noticed) normally during the drain. */
  drained: number;
  /** Messages that got the "restarting, please ask again" notice instead. */
  unfinished: number;
}

interface Job {
  message: ChatMessage;
  port: ThreadPort;
  requestId: string;
  identity: string;
  sessionId: string;
  userKey: string;
  log: Logger;
}

class ShutdownError extends Error {
  override name = "ShutdownError";
}

/**
 * Dedupe entries must outlive Slack's last retry (about 5 minutes after the first delivery). At Slack's
 * ceiling of 30,000 events an hour per workspace, 50,000 entries hold 15 minutes of several busy
 * workspaces, while keeping the set a few MB.
 */
const DEDUPE_DEFAULT = { ttlMs: 15 * 60_000, maxEntries: 50_000 };

/**
 * The platform-neutral pipeline: dedupe, input limits, backpressure, one FIFO per session feeding a
 * shared rate-limited queue, retries of what is safe to retry, and a reply for every message.
 */
export class Bridge {
  readonly #options: BridgeOptions;
  readonly #queue: PQueue;
  readonly #starts: StartWindow;
  readonly #seen: TtlSet;
  /** Jobs per session, the head in progress; a session is deleted when it empties (bounded memory). */
  readonly #sessions = new Map<string, Job[]>();
  readonly #pendingPerUser = new Map<string, number>();
  readonly #shutdown = new AbortController();
  /** Rejects the callers of queued (not yet started) calls on shutdown. */
  readonly #cancellers = new Set<(reason: unknown) => void>();
  #pending = 0;
  #accepting = true;
  #resumeAt = 0;
  #resumeTimer: NodeJS.Timeout | undefined;
  #idleWaiters: Array<() => void> = [];
  #unfinished = 0;
  /** The HTTP status of the last call when Twilio refused the credentials; null once a call succeeds. */
  #credentialsRefused: number | null = null;

  constructor(options: BridgeOptions) {
    this.#options = options;
    this.#queue = new PQueue({
      concurrency: options.queue.concurrency,
      intervalCap: options.queue.rateLimit,
      interval: options.queue.rateIntervalMs,
      strict: true,
    });
    this.#starts = new StartWindow(options.queue.rateLimit, options.queue.rateIntervalMs);
    // Every call in flight listens to this one signal (at most `concurrency`); by design, not a leak.
    setMaxListeners(0, this.#shutdown.signal);
    this.#seen = new TtlSet(options.dedupe ?? DEDUPE_DEFAULT);
  }

  /** Messages accepted and not yet answered. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Takes one platform message. Every accepted message gets exactly one reply through `port`, later;
   * a duplicate gets none; after `stop()` nothing is taken and nothing is remembered, so a redelivery
   * can go to the next process.
   */
  submit(message: ChatMessage, port: ThreadPort): SubmitResult {
    if (!this.#accepting) return "stopped";
    const { metrics, logger } = this.#options;
    metrics.messagesReceived.inc({ platform: message.platform });
    if (!this.#seen.add(`${message.platform}:${message.id}`)) {
      metrics.dedupeHits.inc({ platform: message.platform });
      return "duplicate";
    }
    const requestId = randomUUID();
    const log = logger.child({ platform: message.platform, thread: threadKeyFor(message), requestId });
    log.debug({ body: message.text }, "message received");

    if (message.text.length > this.#options.maxInputChars) {
      return this.#reject(message, port, log, {
        kind: "too_long",
        text: notices.tooLong(this.#options.maxInputChars),
        requestId,
      });
    }
    const userKey = `${message.platform}:${message.workspace}:${message.user}`;
    const userPending = this.#pendingPerUser.get(userKey) ?? 0;
    const { maxPending, maxPendingPerUser } = this.#options.queue;
    if (this.#pending >= maxPending || userPending >= maxPendingPerUser) {
      return this.#reject(message, port, log, { kind: "busy", text: notices.busy(), requestId });
    }

    const job: Job = {
      message,
      port,
      requestId,
      identity: identityFor(message),
      sessionId: sessionIdFor(message),
      userKey,
      log,
    };
    this.#pending++;
    this.#pendingPerUser.set(userKey, userPending + 1);
    metrics.queueDepth.set(this.#pending);
    const session = this.#sessions.get(job.sessionId);
    if (session) {
      session.push(job);
    } else {
      const jobs = [job];
      this.#sessions.set(job.sessionId, jobs);
      void this.#runSession(job.sessionId, jobs);
    }
    return "queued";
  }

  /** Null while the assistant takes the bridge's credentials, else why not (for /readyz). */
  notReadyReason(): string | null {
    if (this.#credentialsRefused === null) return null;
    return `assistant: Twilio refused the credentials (HTTP ${this.#credentialsRefused}); check TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN or TWILIO_API_KEY/TWILIO_API_SECRET`;
  }

  /**
   * Stops intake, lets queued and in-flight work finish for up to `graceMs`, then cancels what is
   * left and tells those users to ask again.
   */
  async stop(graceMs: number): Promise<StopReport> {
    this.#accepting = false;
    const pendingAtStop = this.#pending;
    if (this.#pending > 0) {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([this.#whenIdle(), graceOver]);
      clearTimeout(timer);
      if (this.#pending > 0) {
        // Cancels in-flight calls, rejects queued ones and drops them; their users get "restarting".
        const reason = new ShutdownError("shutting down");
        this.#shutdown.abort(reason);
        for (const cancel of this.#cancellers) cancel(reason);
        this.#queue.clear();
        this.#resume();
        await this.#whenIdle();
      }
    }
    clearTimeout(this.#resumeTimer);
    return { drained: pendingAtStop - this.#unfinished, unfinished: this.#unfinished };
  }

  #reject(message: ChatMessage, port: ThreadPort, log: Logger, reply: Reply): SubmitResult {
    this.#options.metrics.rejections.inc({ platform: message.platform, reason: reply.kind });
    log.info({ kind: reply.kind }, "message rejected");
    void this.#post(port, reply, log, message);
    return "rejected";
  }

  async #runSession(sessionId: string, jobs: Job[]): Promise<void> {
    for (let job = jobs[0]; job !== undefined; job = jobs[0]) {
      try {
        await this.#handle(job);
      } catch (error) {
        // #handle catches what it expects; a bug must still not stall the session's later messages.
        job.log.error({ err: error }, "message handling failed");
      }
      jobs.shift();
      this.#finish(job);
    }
    this.#sessions.delete(sessionId);
  }

  async #handle(job: Job): Promise<void> {
    if (this.#shutdown.signal.aborted) {
      await this.#post(job.port, this.#restarting(job), job.log, job.message);
      return;
    }
    let stopWorking: (() => Promise<void>) | undefined;
    try {
      stopWorking = job.port.startWorking();
    } catch (error) {
      job.log.warn({ err: error }, "could not show the working indicator");
    }
    try {
      const reply = await this.#ask(job);
      await this.#post(job.port, reply, job.log, job.message);
    } finally {
      await stopWorking?.().catch((error: unknown) => {
        job.log.warn({ err: error }, "could not remove the working indicator");
      });
    }
  }

  /** Calls the assistant, retrying what is safe to retry; always ends in a reply. */
  async #ask(job: Job): Promise<Reply> {
    const { client, metrics, queue, mode } = this.#options;
    const request = { identity: job.identity, body: job.message.text, sessionId: job.sessionId, mode };
    for (let attempt = 0; ; attempt++) {
      let started: number | null = null;
      try {
        // Retries go first: they were already at the front of the line.
        const outcome = await this.#schedule(
          async () => {
            for (let wait = this.#starts.waitMs(performance.now()); wait > 0; ) {
              await new Promise((resolve) => setTimeout(resolve, wait));
              wait = this.#starts.waitMs(performance.now());
            }
            started = performance.now();
            metrics.inFlight.set(this.#queue.pending);
            const call = client.send(request, this.#shutdown.signal);
            this.#starts.record(performance.now());
            return call;
          },
          attempt > 0 ? 1 : 0,
        );
        this.#observe(started ?? performance.now(), outcome.kind);
        this.#credentialsAccepted(job.log);
        job.log.info({ outcome: outcome.kind, attempt }, "assistant answered");
        return this.#toReply(outcome, job);
      } catch (error) {
        if (started !== null) this.#observe(started, callOutcome(error));
        if (this.#shutdown.signal.aborted) return this.#restarting(job);
        const delay = attempt < queue.maxRetries ? retryDelayMs(error, attempt, this.#options.random) : null;
        if (delay === null) {
          job.log.error({ err: error, attempt }, "assistant call failed");
          if (error instanceof AssistantApiError && error.credentialsRefused) {
            this.#credentialsRejected(error.status, job.log);
            return { kind: "failure", text: notices.unavailable(job.requestId), requestId: job.requestId };
          }
          const timedOut = error instanceof AssistantNetworkError && error.failure === "timeout";
          return {
            kind: "failure",
            text: timedOut ? notices.timeout(job.requestId) : notices.failure(job.requestId),
            requestId: job.requestId,
          };
        }
        job.log.warn({ err: error, attempt, delayMs: delay }, "assistant call will be retried");
        this.#pauseFor(delay);
      } finally {
        metrics.inFlight.set(this.#queue.pending);
      }
    }
  }

  #toReply(outcome: AssistantOutcome, job: Job): Reply {
    const { requestId } = job;
    switch (outcome.kind) {
      case "answer":
      case "flagged": {
        const text = capAnswer(outcome.body, this.#options.maxAnswerChars ?? DEFAULT_ANSWER_MAX_CHARS);
        if (text !== outcome.body) {
          this.#options.metrics.answersCut.inc();
          job.log.info({ chars: outcome.body.length }, "answer cut to ANSWER_MAX_CHARS");
        }
        return { kind: outcome.kind, text, requestId };
      }
      case "aborted":
        return { kind: "aborted", text: notices.aborted(requestId), requestId };
      case "failure":
        job.log.error({ error: outcome.error }, "assistant reported a failure");
        return { kind: "failure", text: notices.failure(requestId), requestId };
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
      this.#queue
        .add(task, { priority })
        .then(resolve, reject)
        .finally(() => this.#cancellers.delete(reject));
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

  #restarting(job: Job): Reply {
    this.#unfinished++;
    return { kind: "restarting", text: notices.restarting(), requestId: job.requestId };
  }

  /** Pauses the shared queue (in-flight calls go on) until the latest asked-for resume time. */
  #pauseFor(delayMs: number): void {
    const resumeAt = Date.now() + delayMs;
    if (resumeAt <= this.#resumeAt) return;
    this.#resumeAt = resumeAt;
    this.#queue.pause();
    clearTimeout(this.#resumeTimer);
    this.#resumeTimer = setTimeout(() => this.#resume(), delayMs);
  }

  #resume(): void {
    this.#resumeAt = 0;
    clearTimeout(this.#resumeTimer);
    this.#queue.start();
  }

  async #post(port: ThreadPort, reply: Reply, log: Logger, message: ChatMessage): Promise<void> {
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

  #finish(job: Job): void {
    this.#pending--;
    const left = (this.#pendingPerUser.get(job.userKey) ?? 1) - 1;
    if (left > 0) this.#pendingPerUser.set(job.userKey, left);
    else this.#pendingPerUser.delete(job.userKey);
    this.#options.metrics.queueDepth.set(this.#pending);
    if (this.#pending === 0) {
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  #whenIdle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}

function callOutcome(error: unknown): CallOutcome {
  if (error instanceof RateLimitedError) return "rate_limited";
  if (error instanceof AssistantNetworkError)
    return error.failure === "timeout" ? "timeout" : "network_error";
  if (error instanceof AssistantApiError) return error.credentialsRefused ? "unauthorized" : "api_error";
  return "failure";
}
