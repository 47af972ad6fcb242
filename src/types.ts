import type { IncomingMessage as HttpRequest, ServerResponse } from "node:http";
import type { Logger } from "./logger.js";
import type { FeedbackRecorder } from "./pipeline/feedback.js";
import type { BridgeStore } from "./state/store.js";

export type Platform = "slack" | "discord" | "console";

/** One user message, as every adapter hands it to the core. */
export interface ChatMessage {
  platform: Platform;
  /** Slack team id, Discord guild id (or `dm`), `local` for the terminal. */
  workspace: string;
  channel: string;
  /** Root of the conversation: Slack thread ts, Discord thread or DM conversation id. */
  thread: string;
  user: string;
  text: string;
  /** Unique per platform message; the dedupe key (Slack: team/channel/ts). */
  id: string;
  /** A better `type:value` identity the adapter knows (e.g. `email:…`); else derived from the user. */
  identity?: string;
  /** Where the reply goes, as the adapter's `portFor` needs it: stored with the message, so any replica can answer. */
  address: ReplyAddress;
}

/** A reply's destination in the adapter's own terms: plain JSON, never a secret worth logging. */
export type ReplyAddress = { readonly [key: string]: string | number | boolean | null };

export type ReplyKind =
  | "answer"
  | "flagged"
  | "aborted"
  | "failure"
  | "busy"
  | "too_long"
  | "restarting"
  /** The assistant call had started when the process answering it died: never sent twice. */
  | "lost";

/**
 * What the core asks an adapter to post. For `answer` and `flagged`, `text` is the assistant's
 * Markdown, never blank (a blank answer arrives as a `failure`); for the other kinds it is a short
 * plain-text notice ready to show. So an adapter never has an empty message to post.
 */
export interface Reply {
  kind: ReplyKind;
  text: string;
  /** Also in the logs; its first 8 characters appear in failure notices. */
  requestId: string;
  /** What a 👍/👎 on this reply records: set on answers and flagged answers when FEEDBACK=buttons. */
  feedback: FeedbackRef | null;
}

/** The answer a vote is about: its Twilio session, and the reply's request id as the answer's id. */
export interface FeedbackRef {
  sessionId: string;
  answerId: string;
}

/** Where the replies to one message go: the adapter's handle on that message's thread. */
export interface ThreadPort {
  /** Posts a reply in the thread. A rejection is logged and counted; the core does not retry it. */
  post(reply: Reply): Promise<void>;
  /**
   * False when no reply can reach the thread now (the platform refuses the bot's credentials): the
   * core then spends no assistant call on the message.
   */
  canReply(): boolean;
  /** Shows a "working" indicator; the returned function removes it and is always called. */
  startWorking(): () => Promise<void>;
}

/**
 * `queued` and `rejected` messages get exactly one reply; `duplicate` ones none; `stopped` (shutting
 * down) and `unavailable` (the store did not answer) were not taken: the platform should deliver
 * them again, or the adapter tells the person.
 */
export type SubmitResult = "queued" | "duplicate" | "rejected" | "stopped" | "unavailable";

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

/** What an adapter factory receives besides its own platform config. */
export interface AdapterContext {
  sink: MessageSink;
  logger: Logger;
  /** Records 👍/👎 clicks; null when FEEDBACK=off. */
  feedback: FeedbackRecorder | null;
  /** Memory shared by every replica (and kept across restarts when the store is Redis). */
  memory: SharedMemory;
}

/** The part of the store adapters use: remembered values with a time to live. */
export type SharedMemory = Pick<BridgeStore, "remember" | "recall">;
