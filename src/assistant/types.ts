/** The `mode` field of Twilio's Messages request. */
export type AssistantMode = "chat" | "email" | "voice";

/** Which API a client speaks: names the service in texts (see texts.ts). */
export type BackendKind = "twilio" | "openai";

/** One earlier exchange of a session, as the bridge keeps it for a backend that keeps none. */
export interface Turn {
  question: string;
  answer: string;
}

/** One message to the assistant. */
export interface AssistantRequest {
  /** `type:value`, e.g. `user_id:slack_T1_U2`. */
  identity: string;
  body: string;
  sessionId: string;
  mode: AssistantMode;
  /**
   * The session's earlier turns, oldest first, for a backend that does not keep the conversation
   * itself (`keepsHistory` false); ignored by one that does (the pipeline sends none to it).
   */
  history: readonly Turn[];
  /** When set, Twilio also delivers the answer to this URL. */
  webhook?: string;
}

/**
 * What the assistant made of one message. An `answer` or `flagged` body is never blank. `cutShort`:
 * the model stopped at its length limit, so the body is the start of a longer answer.
 */
export type AssistantOutcome =
  | { kind: "answer"; body: string; sessionId: string | null; cutShort?: true }
  | { kind: "flagged"; body: string; sessionId: string | null; cutShort?: true }
  | { kind: "aborted"; error: string | null; sessionId: string | null }
  | { kind: "failure"; error: string | null; sessionId: string | null };

/** The port the pipeline calls; one implementation per backend (src/assistant/<backend>/). */
export interface AssistantClient {
  readonly backend: BackendKind;
  /**
   * True when the service keeps each session's conversation itself (Twilio); false when the bridge
   * must send the session's `history` and record each turn in its store (Chat Completions).
   */
  readonly keepsHistory: boolean;
  send(request: AssistantRequest, signal?: AbortSignal): Promise<AssistantOutcome>;
}

/** One 👍/👎 on an answer, for Twilio's `POST /v1/Assistants/{id}/Feedbacks`. */
export interface FeedbackRequest {
  /** The session the answer belongs to (required by Twilio). */
  sessionId: string;
  /** 1 for 👍, 0 for 👎. */
  score: 0 | 1;
  /** What went wrong, in the person's words; omitted when empty. */
  text?: string;
  /** The answer's `aia_msg_…` id, when known; without it the feedback is about the session. */
  messageId?: string;
}

/** Records feedback at the assistant's service, or in the log where it has none. Errors as for `send`. */
export interface FeedbackClient {
  /** Resolves with the new feedback's id (null when the service gave none). */
  sendFeedback(request: FeedbackRequest, signal?: AbortSignal): Promise<{ id: string | null }>;
}
