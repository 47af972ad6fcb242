/**
 * The load generator: signed Events API requests sent with bounded concurrency, and the answers
 * counted (and timed) as the Slack double receives them.
 */
import { createHmac } from "node:crypto";
import { Agent, request } from "node:http";
import { envelope, mentionEvent } from "../support/slack-events.js";
import type { SlackCounter, SlackPost } from "./slack-counter.js";

export const BENCH_SIGNING_SECRET = "bench-signing-secret-0000";
export const BENCH_CHANNEL = "C0BENCH";

/**
 * POSTs events the way Slack does (signed JSON), over a keep-alive agent: test/support's postSigned
 * uses fetch, which costs the generator several times the CPU per request of node:http.
 */
export class EventSender {
  readonly #url: URL;
  readonly #agent: Agent;

  constructor(baseUrl: string, maxSockets = 64) {
    this.#url = new URL("/slack/events", baseUrl);
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  /** Resolves with the HTTP status. */
  post(body: unknown, retryNum?: number): Promise<number> {
    const raw = JSON.stringify(body);
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac("sha256", BENCH_SIGNING_SECRET)
      .update(`v0:${timestamp}:${raw}`)
      .digest("hex");
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(raw),
      "x-slack-request-timestamp": timestamp,
      "x-slack-signature": `v0=${signature}`,
    };
    if (retryNum !== undefined) {
      headers["x-slack-retry-num"] = retryNum;
      headers["x-slack-retry-reason"] = "http_timeout";
    }
    return new Promise((resolve, reject) => {
      const req = request(this.#url, { method: "POST", agent: this.#agent, headers }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      });
      // Generous: on a shared, loaded machine a burst can keep an event waiting for many seconds.
      req.setTimeout(60_000, () => req.destroy(new Error("event POST timed out")));
      req.on("error", reject);
      req.end(raw);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** A fresh mention in its own thread (a new top-level message); `ts` is the thread's key. */
export function freshMention(index: number): { ts: string; body: Record<string, unknown> } {
  const event = mentionEvent({ channel: BENCH_CHANNEL, user: `UBENCH${index % 100}` });
  return { ts: String(event.ts), body: envelope(event) };
}

export interface LoadOptions {
  sender: EventSender;
  counter: SlackCounter;
  count: number;
  /** Event requests in flight at once. */
  inFlight: number;
  /** Messages sent but not yet answered, at most (one at a time: 1). @default unbounded */
  maxUnanswered?: number;
  /** Keep each message's latency (event sent → first post in its thread). @default false */
  recordLatency?: boolean;
  timeoutMs: number;
}

export interface LoadRun {
  sent: number;
  answered: number;
  /** First send → last answer, ms. */
  wallMs: number;
  latenciesMs: number[];
}

/** Sends `count` fresh mentions and resolves once every thread has an answer (or throws on timeout). */
export async function sendMentions(options: LoadOptions): Promise<LoadRun> {
  const { sender, counter, count } = options;
  const maxUnanswered = options.maxUnanswered ?? Number.POSITIVE_INFINITY;
  const sentAt = new Map<string, number>();
  const latenciesMs: number[] = [];
  let sent = 0;
  let answered = 0;
  let firstSendAt = 0;
  let lastAnswerAt = 0;
  let progress: Array<() => void> = [];
  let allAnswered = () => {};
  const done = new Promise<void>((resolve) => {
    allAnswered = resolve;
  });

  const previous = counter.onPost;
  counter.onPost = (post: SlackPost) => {
    previous?.(post);
    if (counter.postsIn(post.threadTs) !== 1) return;
    answered++;
    lastAnswerAt = post.at;
    const started = sentAt.get(post.threadTs);
    if (started !== undefined) {
      latenciesMs.push(post.at - started);
      sentAt.delete(post.threadTs);
    }
    for (const wake of progress.splice(0)) wake();
    if (answered === count) allAnswered();
  };

  const worker = async () => {
    while (sent < count) {
      while (sent - answered >= maxUnanswered) await new Promise<void>((resolve) => progress.push(resolve));
      if (sent >= count) return;
      const message = freshMention(sent);
      sent++;
      const now = performance.now();
      if (firstSendAt === 0) firstSendAt = now;
      if (options.recordLatency) sentAt.set(message.ts, now);
      const status = await sender.post(message.body);
      if (status !== 200) throw new Error(`the event endpoint answered ${status}`);
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`only ${answered} of ${count} answered after ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
  });
  try {
    const workers = Array.from({ length: Math.min(options.inFlight, count) }, worker);
    await Promise.race([Promise.all([...workers, done]), timeout]);
  } finally {
    clearTimeout(timer);
    counter.onPost = previous;
    progress = [];
  }
  return { sent, answered, wallMs: lastAnswerAt - firstSendAt, latenciesMs };
}

/** The q-quantile (0–1) of values, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
