import {
  AssistantApiError,
  AssistantGoneError,
  AssistantNetworkError,
  BackendUnavailableError,
  ContextTooLongError,
  RateLimitedError,
} from "../assistant/errors.js";
import type {
  AssistantClient,
  AssistantMode,
  AssistantOutcome,
  AssistantRequest,
  Turn,
} from "../assistant/types.js";
import type { Logger } from "../logger.js";
import type { CallOutcome, Metrics } from "../metrics.js";
import { notices } from "../notices.js";
import {
  type BridgeStore,
  HISTORY_TTL_MS,
  type HistoryAppend,
  type Lease,
  type QueuedMessage,
  turnChars,
} from "../state/store.js";
import type { Reply } from "../types.js";
import { BackendHealth, HeldCallError } from "./backend-health.js";
import { type CallGate, LeaseLostError } from "./call-gate.js";
import { notice, type ReplyOptions, replyForError, replyForOutcome } from "./reply-for.js";
import { retryDelayMs } from "./retry-policy.js";
import type { StoreStep } from "./store-retry.js";

/** Shutdown came before the message's call went out: with a shared store, another worker answers it. */
export class LeftForOthersError extends Error {
  override name = "LeftForOthersError";
}

export interface AskOptions {
  client: AssistantClient;
  gate: CallGate;
  /** Where a backend that keeps no conversation finds the session's history. */
  store: BridgeStore;
  storeStep: StoreStep;
  /** Whether stopped calls are left to other workers (a shared store) rather than answered here. */
  shared: boolean;
  mode: AssistantMode;
  maxRetries: number;
  /** The history kept and sent per session (ASSISTANT_HISTORY_MAX_CHARS), for backends that keep none. */
  historyMaxChars: number;
  replies: ReplyOptions;
  metrics: Metrics;
  /** Aborted when the grace time is over: a message not yet answered gets the "restarting" notice. */
  graceOver: AbortSignal;
  /** While the backend refuses every call, one call is let through this often. @default RECHECK_EVERY_MS */
  recheckEveryMs?: number;
  /** For tests of the back-off. @default Math.random */
  random?: () => number;
}

/** The reply to a message and, for a backend that keeps no conversation, the turn to keep with it. */
export interface Asked {
  reply: Reply;
  /** Recorded in the same store step as the reply (BridgeStore.recordReply), so never half a turn. */
  append?: HistoryAppend;
}

/**
 * The assistant call of one message, with its retries: always ends in the reply users see (or
 * throws `LeaseLostError`/`LeftForOthersError` for the worker). For a backend that keeps no
 * conversation, it reads the session's history once before the call and hands back the new turn.
 * What the calls say about the backend (refused credentials, gone, quota) is kept in BackendHealth,
 * for /readyz and to hold calls that would be refused anyway.
 */
export class Ask {
  readonly #options: AskOptions;
  readonly #health: BackendHealth;

  constructor(options: AskOptions) {
    this.#options = options;
    this.#health = new BackendHealth(options.client.backend, options.recheckEveryMs);
  }

  /** Null while the assistant's backend takes calls, else why not (for /readyz). */
  notReadyReason(): string | null {
    return this.#health.notReadyReason();
  }

  /**
   * Calls the assistant for the session's first message, retrying what is safe to retry. `body`: what
   * is sent, the question with its thread's earlier messages when it has them (see context.ts).
   */
  async ask(lease: Lease, entry: QueuedMessage, log: Logger, body = entry.message.text): Promise<Asked> {
    const { client, gate, metrics, maxRetries } = this.#options;
    const whole = await this.#history(entry.sessionId);
    let request = this.#request(entry, body, whole);
    // Once marked started, the message is never sent to the assistant again, whoever holds it next.
    let marked = false;
    for (let attempt = 0; ; attempt++) {
      let started: number | null = null;
      try {
        // Fenced, and marks the message started; the call leaves in the same step as its start.
        const sent = request;
        const outcome = await gate.run(attempt > 0 ? "retry" : "question", lease, (signal) => {
          marked = true;
          const held = this.#health.admit();
          if (held) return Promise.reject(held);
          started = performance.now();
          metrics.inFlight.set(gate.pending);
          return client.send(sent, signal);
        });
        this.#observe(started ?? performance.now(), outcome.kind);
        this.#health.answered(log);
        log.info({ outcome: outcome.kind, attempt }, "assistant answered");
        const reply = replyForOutcome(outcome, entry, this.#options.replies);
        this.#note(outcome, reply, log);
        return { reply, ...this.#append(request, outcome) };
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        if (error instanceof HeldCallError) {
          metrics.callsHeld.inc({ reason: error.refusal });
          log.info({ reason: error.refusal }, "message not sent: the assistant's backend refuses calls");
          return { reply: replyForError(error, entry.requestId) };
        }
        if (started !== null) this.#observe(started, callOutcome(error));
        if (gate.closed && this.#options.shared && !marked) {
          throw new LeftForOthersError("stopped before the call");
        }
        if (this.#options.graceOver.aborted) {
          return { reply: notice("restarting", notices.restarting(), entry.requestId) };
        }
        if (error instanceof ContextTooLongError && request.history.length > 0) {
          // A refused prompt is not billed: try again with the newest half of the history, then none.
          const { history } = request;
          const kept = history === whole ? history.slice(Math.ceil(history.length / 2)) : [];
          log.warn(
            { turnsSent: request.history.length, turnsKept: kept.length },
            "prompt too long for the model: trying again with less history (consider a lower ASSISTANT_HISTORY_MAX_CHARS)",
          );
          request = { ...request, history: kept };
          continue;
        }
        const delay = attempt < maxRetries ? retryDelayMs(error, attempt, this.#options.random) : null;
        if (delay === null) {
          log.error({ err: error, attempt }, "assistant call failed");
          this.#health.failed(error, log);
          return { reply: replyForError(error, entry.requestId) };
        }
        log.warn({ err: error, attempt, delayMs: delay }, "assistant call will be retried");
        await gate.pause(delay);
      } finally {
        metrics.inFlight.set(gate.pending);
      }
    }
  }

  /**
   * What is sent to the assistant for the message: the turn kept in the history is this body, as
   * sent (with the thread's earlier messages when they were composed into it).
   */
  #request(entry: QueuedMessage, body: string, history: readonly Turn[]): AssistantRequest {
    return {
      identity: entry.identity,
      body,
      sessionId: entry.sessionId,
      mode: this.#options.mode,
      history,
    };
  }

  /**
   * The session's history for a backend that keeps none: one store round trip per message (retries
   * reuse it), the oldest turns dropped past ASSISTANT_HISTORY_MAX_CHARS (it may have been lowered).
   */
  async #history(sessionId: string): Promise<readonly Turn[]> {
    const { client, store, storeStep, historyMaxChars } = this.#options;
    if (client.keepsHistory) return [];
    const turns = await storeStep("history", () => store.history(sessionId));
    let chars = turns.reduce((sum, turn) => sum + turnChars(turn), 0);
    let first = 0;
    while (chars > historyMaxChars && first < turns.length) chars -= turnChars(turns[first++] as Turn);
    return turns.slice(first);
  }

  /** The turn to keep: the question as sent and the answer as the model gave it (answers only). */
  #append(request: AssistantRequest, outcome: AssistantOutcome): Pick<Asked, "append"> {
    if (this.#options.client.keepsHistory) return {};
    if (outcome.kind !== "answer" && outcome.kind !== "flagged") return {};
    return {
      append: {
        turn: { question: request.body, answer: outcome.body },
        maxChars: this.#options.historyMaxChars,
        ttlMs: HISTORY_TTL_MS,
      },
    };
  }

  /** What the reply mapping did that operators should know about. */
  #note(outcome: AssistantOutcome, reply: Reply, log: Logger): void {
    if (outcome.kind === "failure") log.error({ error: outcome.error }, "assistant reported a failure");
    if (outcome.kind !== "answer" && outcome.kind !== "flagged") return;
    // Shown whole, the answer starts the reply (a cut-short line may follow); cut, it does not.
    if (!reply.text.startsWith(outcome.body)) {
      this.#options.metrics.answersCut.inc();
      log.info({ chars: outcome.body.length }, "answer cut to ANSWER_MAX_CHARS");
    }
    if (outcome.cutShort) log.info({ chars: outcome.body.length }, "the model stopped at its length limit");
  }

  #observe(started: number, outcome: CallOutcome): void {
    const { metrics } = this.#options;
    metrics.assistantCalls.inc({ outcome });
    metrics.assistantLatency.observe((performance.now() - started) / 1000);
  }
}

function callOutcome(error: unknown): CallOutcome {
  if (error instanceof RateLimitedError) return "rate_limited";
  if (error instanceof AssistantNetworkError)
    return error.failure === "timeout" ? "timeout" : "network_error";
  if (error instanceof AssistantGoneError) return "gone";
  if (error instanceof BackendUnavailableError) return "unavailable";
  if (error instanceof ContextTooLongError) return "context_too_long";
  if (error instanceof AssistantApiError) return error.credentialsRefused ? "unauthorized" : "api_error";
  return "failure";
}
