import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { MetricsPort } from "./adapter.js";
import type { Platform, ReplyKind } from "./types.js";

export type CallOutcome =
  | "answer"
  | "flagged"
  | "aborted"
  | "failure"
  | "rate_limited"
  | "timeout"
  | "network_error"
  | "api_error"
  /** HTTP 401/403: the assistant's credentials were refused. */
  | "unauthorized"
  /** Twilio 404 (error 20404) or 410: the assistant or the API does not exist (AI Assistants retired). */
  | "gone"
  /** Quota or credits exhausted (429 insufficient_quota, 402): refused until an operator acts. */
  | "unavailable"
  /** The prompt is longer than the model's context. */
  | "context_too_long";

/**
 * Every metric of the core, on a registry of its own (so tests can make several); adapters register
 * their platform's own through `counter`.
 */
export class Metrics implements MetricsPort {
  readonly registry = new Registry();
  #readDepth: (() => Promise<number>) | null = null;
  readonly messagesReceived = new Counter({
    name: "bridge_messages_received_total",
    help: "User messages handed to the core, by platform.",
    labelNames: ["platform"] as const,
    registers: [this.registry],
  });
  readonly assistantCalls = new Counter({
    name: "bridge_assistant_calls_total",
    help: "Assistant calls by outcome (a retried message counts once per attempt).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly callsHeld = new Counter({
    name: "bridge_assistant_calls_held_total",
    help: "Messages not sent to the assistant because its backend refuses every call (credentials, gone, unavailable); their users are told it is unavailable.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly assistantLatency = new Histogram({
    name: "bridge_assistant_latency_seconds",
    help: "Duration of one assistant call.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "bridge_queue_depth",
    help: "Messages accepted and not yet answered (waiting or in flight), over every replica.",
    registers: [this.registry],
    // Read from the store when scraped: with Redis, the depth is the shared queue's, not this process's.
    collect: async () => {
      if (this.#readDepth) this.queueDepth.set(await this.#readDepth().catch(() => Number.NaN));
    },
  });
  readonly storeErrors = new Counter({
    name: "bridge_store_errors_total",
    help: "Store calls that failed or timed out (Redis down or slow), by operation.",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });
  readonly recovered = new Counter({
    name: "bridge_recovered_messages_total",
    help: "Messages taken over from a worker that died, by how far they had got (queued, started, answered).",
    labelNames: ["phase"] as const,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: "bridge_assistant_in_flight",
    help: "Assistant calls in flight.",
    registers: [this.registry],
  });
  readonly dedupeHits = new Counter({
    name: "bridge_dedupe_hits_total",
    help: "Platform messages dropped because they were already taken (retries, twins).",
    labelNames: ["platform"] as const,
    registers: [this.registry],
  });
  readonly rejections = new Counter({
    name: "bridge_rejections_total",
    help: "Messages answered with a notice instead of being queued.",
    labelNames: ["platform", "reason"] as const,
    registers: [this.registry],
  });
  readonly repliesPosted = new Counter({
    name: "bridge_replies_posted_total",
    help: "Replies posted, by platform and kind.",
    labelNames: ["platform", "kind"] as const,
    registers: [this.registry],
  });
  readonly replyErrors = new Counter({
    name: "bridge_reply_errors_total",
    help: "Replies the platform refused or that could not be sent.",
    labelNames: ["platform"] as const,
    registers: [this.registry],
  });
  readonly feedbackVotes = new Counter({
    name: "bridge_feedback_votes_total",
    help: "Feedback clicks by platform, score (1 = 👍, 0 = 👎) and result (recorded, already, failed, unavailable).",
    labelNames: ["platform", "score", "result"] as const,
    registers: [this.registry],
  });
  readonly feedbackCalls = new Counter({
    name: "bridge_feedback_calls_total",
    help: "Feedback calls to Twilio by outcome: ok, retried (failed, tried again), failed (given up).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  readonly answersCut = new Counter({
    name: "bridge_answers_cut_total",
    help: "Answers longer than ANSWER_MAX_CHARS, shown as their start and end.",
    registers: [this.registry],
  });
  readonly messagesUnanswerable = new Counter({
    name: "bridge_messages_unanswerable_total",
    help: "Platform messages not handed to the core because no reply could be posted (revoked credentials).",
    labelNames: ["platform", "reason"] as const,
    registers: [this.registry],
  });

  // --- usage quotas (issue 21) ---
  readonly quotaRefusals = new Counter({
    name: "bridge_quota_refusals_total",
    help: "Questions refused because a usage quota was used up, by platform and kind (person, workspace).",
    labelNames: ["platform", "kind"] as const,
    registers: [this.registry],
  });
  // --- end usage quotas ---

  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    const known = this.registry.getSingleMetric(name);
    if (known instanceof Counter) return known as Counter<L>;
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** Adds Node's process metrics (memory, event loop lag, ...). */
  collectProcessMetrics(): void {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Where `bridge_queue_depth` is read from at each scrape. */
  readQueueDepthFrom(read: () => Promise<number>): void {
    this.#readDepth = read;
  }

  replyPosted(platform: Platform, kind: ReplyKind): void {
    this.repliesPosted.inc({ platform, kind });
  }
}
