/** The data the core and the adapters exchange: plain types, importing nothing of the project. */

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
  /** A direct message with the bot: usage quotas count it for the person only, and tell every refusal. */
  direct?: boolean;
  /** Slack Enterprise Grid org of an org-wide install: its workspaces share one workspace quota. */
  organization?: string;
  /** Where the reply goes, as the adapter's `portFor` needs it: stored with the message, so any replica can answer. */
  address: ReplyAddress;
}

/**
 * One earlier message of a conversation, read from the platform when a question starts a new session
 * inside it (see ThreadPort.readContext).
 */
export interface ContextMessage {
  /** Who wrote it, as people see the name. */
  speaker: string;
  /** Written by the bot itself: one of the assistant's earlier answers. */
  fromAssistant: boolean;
  /** Plain text; files and attachments are short placeholders such as `[a file: plan.pdf]`. */
  text: string;
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
  /** A usage quota is used up (src/quotas.ts): no assistant call was made. */
  | "over_quota"
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
  /**
   * `over_quota` only: the channel was told already in this window, so the adapter shows a quiet
   * sign (a reaction, a message only the asker sees) instead of posting the text in the thread.
   */
  quiet?: boolean;
}

/** The answer a vote is about: its Twilio session, and the reply's request id as the answer's id. */
export interface FeedbackRef {
  sessionId: string;
  answerId: string;
}

/**
 * `queued` and `rejected` messages get exactly one reply; `duplicate` ones none; `stopped` (shutting
 * down) and `unavailable` (the store did not answer) were not taken: the platform should deliver
 * them again, or the adapter tells the person.
 */
export type SubmitResult = "queued" | "duplicate" | "rejected" | "stopped" | "unavailable";
