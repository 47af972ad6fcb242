/** The words users see when there is no answer to show. Platform-neutral plain text. */

const ref = (requestId: string) => `(ref ${requestId.slice(0, 8)})`;

export const notices = {
  aborted: (requestId: string) =>
    `The assistant stopped before finishing this answer. Please ask again, perhaps in other words. ${ref(requestId)}`,
  failure: (requestId: string) =>
    `Sorry, the assistant could not answer this time. Please try again in a moment. ${ref(requestId)}`,
  timeout: (requestId: string) =>
    `Sorry, the assistant took too long to answer. Please try again in a moment. ${ref(requestId)}`,
  unavailable: (requestId: string) =>
    `Sorry, the assistant is unavailable: its service refuses the bridge's calls (credentials, quota, or the service is gone). The people who run this bot have to fix that; please ask again later. ${ref(requestId)}`,
  /** The model's context cannot hold the question even without the earlier conversation. */
  tooLongForModel: (requestId: string) =>
    `Sorry, your message is too long for the assistant's model, even without the earlier conversation. Please send a shorter one. ${ref(requestId)}`,
  busy: () => "I'm busy with other questions right now. Please try again shortly.",
  tooLong: (limit: number) =>
    `Your message is too long for the assistant: please keep it under ${limit.toLocaleString("en-US")} characters.`,
  /** The message could not be stored (store down) and the platform will not deliver it again. */
  notTaken: () => "Sorry, I can't take questions right now. Please send yours again in a few minutes.",
  restarting: () => "I'm restarting and could not finish this one. Please ask again in a minute.",
  lost: (requestId: string) =>
    `Sorry, your answer was lost while I restarted. Please ask again. ${ref(requestId)}`,
} as const;

/** Shown above an answer that tripped the assistant's safety checks. */
export const FLAGGED_WARNING =
  "⚠ Warning: the assistant's safety checks flagged this answer. It may be inaccurate or inappropriate.";

/** Below an answer the model stopped at its length limit (Markdown, like the ANSWER_MAX_CHARS line). */
export const CUT_SHORT_LINE =
  "✂ … The assistant stopped here: this answer reached the model's length limit. Ask it to go on for the rest. …";

/**
 * A question refused because a usage quota is used up; `allowance` and `resetIn` are worded by
 * src/quotas.ts ("20 questions an hour", "in 12 minutes").
 */
export function overQuotaNotice(over: "person" | "workspace", allowance: string, resetIn: string): string {
  return over === "person"
    ? `You've reached your limit of ${allowance}, so I didn't pass this one on. You can ask again ${resetIn}.`
    : `This workspace has reached its limit of ${allowance}, so I didn't pass this one on. Questions can be asked again ${resetIn}.`;
}
