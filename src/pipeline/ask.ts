import { AssistantApiError, AssistantNetworkError, RateLimitedError } from "../assistant/errors.js";
import type {
  AssistantClient,
  AssistantMode,
  AssistantOutcome,
  AssistantRequest,
} from "../assistant/types.js";
import type { Logger } from "../logger.js";
import type { CallOutcome, Metrics } from "../metrics.js";
import { notices } from "../notices.js";
import type { Lease, QueuedMessage } from "../state/store.js";
import type { Reply } from "../types.js";
import { type CallGate, LeaseLostError } from "./call-gate.js";
import { notice, type ReplyOptions, replyForError, replyForOutcome } from "./reply-for.js";
import { retryDelayMs } from "./retry-policy.js";

/** Shutdown came before the message's call went out: with a shared store, another worker answers it. */
export class LeftForOthersError extends Error {
  override name = "LeftForOthersError";
}

export interface AskOptions {
  client: AssistantClient;
  gate: CallGate;
  /** Whether stopped calls are left to other workers (a shared store) rather than answered here. */
  shared: boolean;
  mode: AssistantMode;
  maxRetries: number;
  replies: ReplyOptions;
  metrics: Metrics;
  /** Aborted when the grace time is over: a message not yet answered gets the "restarting" notice. */
  graceOver: AbortSignal;
  /** For tests of the back-off. @default Math.random */
  random?: () => number;
}

/**
 * The assistant call of one message, with its retries: always ends in the reply users see (or
 * throws `LeaseLostError`/`LeftForOthersError` for the worker). Also what the calls say about
 * Twilio's view of the credentials, for /readyz.
 */
export class Ask {
  readonly #options: AskOptions;
  /** The HTTP status of the last call when Twilio refused the credentials; null once a call succeeds. */
  #credentialsRefused: number | null = null;

  constructor(options: AskOptions) {
    this.#options = options;
  }

  /** Null while the assistant takes the bridge's credentials, else why not (for /readyz). */
  notReadyReason(): string | null {
    if (this.#credentialsRefused === null) return null;
    return `assistant: Twilio refused the credentials (HTTP ${this.#credentialsRefused}); check TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN or TWILIO_API_KEY/TWILIO_API_SECRET`;
  }

  /**
   * Calls the assistant for the session's first message, retrying what is safe to retry. `body`: what
   * is sent, the question with its thread's earlier messages when it has them (see context.ts).
   */
  async ask(lease: Lease, entry: QueuedMessage, log: Logger, body = entry.message.text): Promise<Reply> {
    const { client, gate, metrics, maxRetries } = this.#options;
    const request = this.#request(entry, body);
    // Once marked started, the message is never sent to Twilio again, whoever holds it next.
    let marked = false;
    for (let attempt = 0; ; attempt++) {
      let started: number | null = null;
      try {
        // Fenced, and marks the message started; the call leaves in the same step as its start.
        const outcome = await gate.run(attempt > 0 ? "retry" : "question", lease, (signal) => {
          marked = true;
          started = performance.now();
          metrics.inFlight.set(gate.pending);
          return client.send(request, signal);
        });
        this.#observe(started ?? performance.now(), outcome.kind);
        this.#credentialsAccepted(log);
        log.info({ outcome: outcome.kind, attempt }, "assistant answered");
        const reply = replyForOutcome(outcome, entry, this.#options.replies);
        this.#note(outcome, reply, log);
        return reply;
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        if (started !== null) this.#observe(started, callOutcome(error));
        if (gate.closed && this.#options.shared && !marked) {
          throw new LeftForOthersError("stopped before the call");
        }
        if (this.#options.graceOver.aborted) {
          return notice("restarting", notices.restarting(), entry.requestId);
        }
        const delay = attempt < maxRetries ? retryDelayMs(error, attempt, this.#options.random) : null;
        if (delay === null) {
          log.error({ err: error, attempt }, "assistant call failed");
          if (error instanceof AssistantApiError && error.credentialsRefused) {
            this.#credentialsRejected(error.status, log);
          }
          return replyForError(error, entry.requestId);
        }
        log.warn({ err: error, attempt, delayMs: delay }, "assistant call will be retried");
        await gate.pause(delay);
      } finally {
        metrics.inFlight.set(gate.pending);
      }
    }
  }

  /** What is sent to the assistant for the message. */
  #request(entry: QueuedMessage, body: string): AssistantRequest {
    return {
      identity: entry.identity,
      body,
      sessionId: entry.sessionId,
      mode: this.#options.mode,
    };
  }

  /** What the reply mapping did that operators should know about. */
  #note(outcome: AssistantOutcome, reply: Reply, log: Logger): void {
    if (outcome.kind === "failure") log.error({ error: outcome.error }, "assistant reported a failure");
    if ((outcome.kind === "answer" || outcome.kind === "flagged") && reply.text !== outcome.body) {
      this.#options.metrics.answersCut.inc();
      log.info({ chars: outcome.body.length }, "answer cut to ANSWER_MAX_CHARS");
    }
  }

  #observe(started: number, outcome: CallOutcome): void {
    const { metrics } = this.#options;
    metrics.assistantCalls.inc({ outcome });
    metrics.assistantLatency.observe((performance.now() - started) / 1000);
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
}

function callOutcome(error: unknown): CallOutcome {
  if (error instanceof RateLimitedError) return "rate_limited";
  if (error instanceof AssistantNetworkError)
    return error.failure === "timeout" ? "timeout" : "network_error";
  if (error instanceof AssistantApiError) return error.credentialsRefused ? "unauthorized" : "api_error";
  return "failure";
}
