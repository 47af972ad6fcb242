import type { AssistantApiError } from "./errors.js";
import type { BackendKind } from "./types.js";

/**
 * What operators read about a backend that fails in a way no retry cures: /readyz reasons and the
 * one-off log advice. The people asking see notices.unavailable (src/notices.ts) for each of them.
 */

const CREDENTIALS: Record<BackendKind, string> = {
  twilio: "check TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN or TWILIO_API_KEY/TWILIO_API_SECRET",
  openai: "check OPENAI_API_KEY (and OPENAI_API_KEY_HEADER=api-key for Azure OpenAI)",
};

const SERVICE: Record<BackendKind, string> = {
  twilio: "Twilio",
  openai: "the OpenAI-compatible server",
};

/** /readyz reason after a 401/403 (AssistantApiError.credentialsRefused). */
export function credentialsRefusedReason(backend: BackendKind, status: number): string {
  return `assistant: ${SERVICE[backend]} refused the credentials (HTTP ${status}); ${CREDENTIALS[backend]}`;
}

/** /readyz reason after an AssistantGoneError (Twilio 404/20404 or 410). */
export function goneReason(error: AssistantApiError): string {
  const code = error.code === null ? "" : `, error ${error.code}`;
  return `assistant: Twilio AI Assistants did not find the assistant and may be retired (HTTP ${error.status}${code})`;
}

/** Logged once, at error level, after the first AssistantGoneError: what to do about it. */
export const GONE_ADVICE =
  "Twilio AI Assistants answered that the assistant does not exist: check TWILIO_ASSISTANT_ID, or, if the " +
  "service is retired (Twilio retires AI Assistants in July 2026), switch to a model of your own: set " +
  "ASSISTANT_BACKEND=openai with OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL, and move the " +
  "assistant's personality prompt to ASSISTANT_INSTRUCTIONS (knowledge sources and tools are not carried over).";

/** /readyz reason after a BackendUnavailableError (quota or credits exhausted): the cause, for operators. */
export function unavailableReason(error: AssistantApiError): string {
  return `assistant: calls are refused until an operator acts (quota, credits or limits): ${error.message}`;
}
