/** The `mode` field of Twilio's Messages request. */
export type AssistantMode = "chat" | "email" | "voice";

/** One message to the assistant. */
export interface AssistantRequest {
  /** `type:value`, e.g. `user_id:slack_T1_U2`. */
  identity: string;
  body: string;
  sessionId: string;
  mode: AssistantMode;
  /** When set, Twilio also delivers the answer to this URL. */
  webhook?: string;
}

/** What the assistant made of one message. An `answer` or `flagged` body is never blank. */
export type AssistantOutcome =
  | { kind: "answer"; body: string; sessionId: string | null }
  | { kind: "flagged"; body: string; sessionId: string | null }
  | { kind: "aborted"; error: string | null; sessionId: string | null }
  | { kind: "failure"; error: string | null; sessionId: string | null };

/** Narrow port the pipeline calls; Twilio's client is one implementation. */
export interface AssistantClient {
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

/** Records feedback at the assistant; Twilio's client is one implementation. Errors as for `send`. */
export interface FeedbackClient {
  /** Resolves with the new feedback's id (null when the answer carried none). */
  sendFeedback(request: FeedbackRequest, signal?: AbortSignal): Promise<{ id: string | null }>;
}
