import { capAnswer, MIN_ANSWER_MAX_CHARS } from "../answer-cap.js";
import {
  AssistantApiError,
  AssistantGoneError,
  AssistantNetworkError,
  BackendUnavailableError,
  ContextTooLongError,
} from "../assistant/errors.js";
import type { AssistantOutcome } from "../assistant/types.js";
import { CUT_SHORT_LINE, notices } from "../notices.js";
import type { Reply, ReplyKind } from "../types.js";
import { HeldCallError } from "./backend-health.js";

/** Every reply that is not the assistant's answer: a short plain-text notice. */
type NoticeKind = Exclude<ReplyKind, "answer" | "flagged">;

export interface ReplyOptions {
  /** Answers past this are cut to their start and end (ANSWER_MAX_CHARS). */
  maxAnswerChars: number;
  /** Attach a FeedbackRef to answers (FEEDBACK=buttons). */
  feedback: boolean;
}

/** The message a reply answers: its request id, and the Twilio session it was asked in. */
export interface Asked {
  requestId: string;
  sessionId: string;
}

/**
 * What users see for what the assistant returned. A flagged answer's body is the refusal text when
 * the model gave one (the adapters show the flagged warning above it); an answer the model stopped
 * at its length limit ends with a line saying so.
 */
export function replyForOutcome(outcome: AssistantOutcome, asked: Asked, options: ReplyOptions): Reply {
  const { requestId } = asked;
  switch (outcome.kind) {
    case "answer":
    case "flagged": {
      const text = outcome.cutShort
        ? `${capAnswer(outcome.body, Math.max(MIN_ANSWER_MAX_CHARS, options.maxAnswerChars - CUT_SHORT_SUFFIX.length))}${CUT_SHORT_SUFFIX}`
        : capAnswer(outcome.body, options.maxAnswerChars);
      // The session Twilio answered for (it may prefix it), else the one we sent.
      const feedback = options.feedback
        ? { sessionId: outcome.sessionId ?? asked.sessionId, answerId: requestId }
        : null;
      return { kind: outcome.kind, text, requestId, feedback };
    }
    case "aborted":
      return notice("aborted", notices.aborted(requestId), requestId);
    case "failure":
      return notice("failure", notices.failure(requestId), requestId);
  }
}

const CUT_SHORT_SUFFIX = `\n\n${CUT_SHORT_LINE}`;

/**
 * What users see when the call failed for good (not safe to retry, or out of retries). A backend
 * that refuses every call until an operator acts is "unavailable", never "try again in a moment".
 */
export function replyForError(error: unknown, requestId: string): Reply {
  if (refusesUntilFixed(error)) return notice("failure", notices.unavailable(requestId), requestId);
  if (error instanceof ContextTooLongError) {
    return notice("too_long", notices.tooLongForModel(requestId), requestId);
  }
  const timedOut = error instanceof AssistantNetworkError && error.failure === "timeout";
  return notice("failure", timedOut ? notices.timeout(requestId) : notices.failure(requestId), requestId);
}

/** A notice reply: nothing to vote on. */
export function notice(kind: NoticeKind, text: string, requestId: string): Reply {
  return { kind, text, requestId, feedback: null };
}

function refusesUntilFixed(error: unknown): boolean {
  return (
    error instanceof HeldCallError ||
    error instanceof AssistantGoneError ||
    error instanceof BackendUnavailableError ||
    (error instanceof AssistantApiError && error.credentialsRefused)
  );
}
