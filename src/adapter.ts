import type { IncomingMessage as HttpRequest, ServerResponse } from "node:http";
import type { Logger } from "./logger.js";
import type {
  ChatMessage,
  ContextMessage,
  FeedbackRef,
  Platform,
  Reply,
  ReplyAddress,
  SubmitResult,
} from "./types.js";

/**
 * The contract between the core and a platform adapter: what an adapter gets (a sink for messages,
 * a logger, ports to feedback and shared memory) and what it must offer (a port per reply address,
 * start and stop). It names only small interfaces, so an adapter depends on nothing else of the core.
 */

/** How the core asks for one reply to be posted. */
export interface PostContext {
  /**
   * The reply was recorded by a worker that stopped: it may have been posted already, so a port
   * that can tell looks for it before posting.
   */
  recovered: boolean;
  /** Aborted when the process stops waiting (shutdown): a post not yet settled then rejects with PostInterruptedError. */
  signal: AbortSignal;
}

/**
 * Shutdown came before the reply's post was settled (made, or known not made): the message stays in
 * the shared store, and whoever takes it over posts the recorded reply, looking for it first.
 */
export class PostInterruptedError extends Error {
  override name = "PostInterruptedError";
}

/** Where the replies to one message go: the adapter's handle on that message's thread. */
export interface ThreadPort {
  /**
   * Posts a reply in the thread; resolves once it is posted (which may take as long as the platform
   * needs to recover). A rejection is logged and counted; the core does not retry it.
   */
  post(reply: Reply, context?: PostContext): Promise<void>;
  /**
   * False when no reply can reach the thread now (the platform refuses the bot's credentials): the
   * core then spends no assistant call on the message.
   */
  canReply(): boolean;
  /** Shows a "working" indicator; the returned function removes it and is always called. */
  startWorking(): () => Promise<void>;
  /**
   * The conversation before the message, oldest first, at most `maxMessages`: when the message starts
   * a new session inside an earlier conversation (a mention in the middle of a thread, a reply to
   * another message), which the adapter marked in its address. Resolves `[]` at once for every other
   * message; rejects when the platform refused or failed (the core then sends the plain question).
   */
  readContext(maxMessages: number, signal: AbortSignal): Promise<ContextMessage[]>;
}

/** What adapters hand messages to (the core's Bridge). */
export interface MessageSink {
  /** Stores a message durably (resolves once it is stored); its reply goes through the adapter's `portFor`. */
  submit(message: ChatMessage): Promise<SubmitResult>;
}

/** An adapter's HTTP endpoint on the shared server (e.g. Slack's Events API). */
export type RouteHandler = (request: HttpRequest, response: ServerResponse) => void;

/** The shape every platform adapter has. */
export interface Adapter {
  readonly platform: Platform;
  /** Paths this adapter serves on the shared HTTP server; empty when it serves none. */
  readonly routes: ReadonlyMap<string, RouteHandler>;
  /** The port for a reply to `address`, built from the address alone (any replica may post any reply). */
  portFor(address: ReplyAddress): ThreadPort;
  /** Connects; resolves once messages can flow. */
  start(): Promise<void>;
  /** Null when connected and taking messages, else why not (for /readyz). */
  notReadyReason(): string | null;
  /** Stops taking new messages; replies to accepted ones can still be posted. */
  stopIntake(): Promise<void>;
  /** Closes every connection; called after the core drained. */
  close(): Promise<void>;
}

/** Memory shared by every replica (and kept across restarts when the store is Redis). */
export interface SharedMemory {
  /** Remembers `value` under `key` for `ttlMs`. */
  remember(key: string, value: string, ttlMs: number): Promise<void>;
  /** The value remembered under `key`, or null once forgotten or expired. */
  recall(key: string): Promise<string | null>;
  /** Remembers `key` for `ttlMs`, atomically: true the first time, false while it is remembered. */
  once(key: string, ttlMs: number): Promise<boolean>;
}

/** One 👍 or 👎 from one person on one answer. */
export interface Vote {
  platform: Platform;
  /** Who voted, unique on the platform (Slack: `<team>:<user>`, Discord: the user id). */
  voter: string;
  answerId: string;
  sessionId: string;
  /** 1 for 👍, 0 for 👎. */
  score: 0 | 1;
  /** The optional comment of a 👎 ("what went wrong"). */
  text?: string;
}

/**
 * `recorded`: the backend has it. `already`: this person voted on this answer before (there is no
 * update). `failed`: refused or not reached; the person may try again. `unavailable`: the shared store
 * is down, nothing was sent.
 */
export type VoteResult = "recorded" | "already" | "failed" | "unavailable";

/** What adapters call to record 👍/👎 clicks (the core's FeedbackRecorder). */
export interface FeedbackPort {
  /** Records one vote; never throws (every outcome is logged and counted). */
  record(vote: Vote): Promise<VoteResult>;
  /** The click payload of an answer in at most `maxChars` characters; rejects when the store is down. */
  pack(ref: FeedbackRef, maxChars: number): Promise<string>;
  /** The answer behind a click payload made by `pack`; null when it expired or is not one of ours. */
  unpack(token: string): Promise<FeedbackRef | null>;
}

/** A counter on the bridge's /metrics. */
export interface CounterPort<L extends string> {
  inc(labels: Record<L, string | number>): void;
}

/** The bridge's metrics as an adapter sees them: the core's own it may count, and room for its own. */
export interface MetricsPort {
  /**
   * Registers a counter of the adapter's platform (named `bridge_<platform>_…`) on the bridge's
   * /metrics; asking again for the same name gives the same counter.
   */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): CounterPort<L>;
  /** Messages not handed to the core because no reply could be posted (revoked credentials). */
  readonly messagesUnanswerable: CounterPort<"platform" | "reason">;
}

/** What an adapter factory receives besides its own platform config. */
export interface AdapterContext {
  sink: MessageSink;
  logger: Logger;
  metrics: MetricsPort;
  /** Records 👍/👎 clicks; null when FEEDBACK=off. */
  feedback: FeedbackPort | null;
  memory: SharedMemory;
}
