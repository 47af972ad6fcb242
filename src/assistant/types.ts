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
