import { createHash } from "node:crypto";
import type { ChatCompletion, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ErrorObject } from "openai/resources/shared";
import { parseRetryAfter } from "../../http/retry-after.js";
import {
  AssistantApiError,
  BackendUnavailableError,
  ContextTooLongError,
  RateLimitedError,
} from "../errors.js";
import { header, type JsonAnswer, jsonObjectOf, text } from "../json-post.js";
import type { AssistantOutcome, Turn } from "../types.js";

/** The instructions as a `system` message (the role every server takes), the earlier turns in order, the question. */
export function messagesFor(
  instructions: string | null,
  history: readonly Turn[],
  question: string,
): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [];
  if (instructions !== null) messages.push({ role: "system", content: instructions });
  for (const turn of history) {
    messages.push({ role: "user", content: turn.question }, { role: "assistant", content: turn.answer });
  }
  messages.push({ role: "user", content: question });
  return messages;
}

/**
 * OpenAI's `safety_identifier` for an identity: stable, at most 64 characters, and not the identity
 * itself (a SHA-256 in hex; OpenAI asks for a hash of the user id).
 */
export function safetyIdentifierOf(identity: string): string {
  return createHash("sha256").update(identity).digest("hex");
}

/** Shown when a filter withheld the answer and said nothing the person could read. */
const FILTERED = "The assistant's service withheld this answer (content filter).";

/** What one completion means; a refusal or a filter is `flagged`, a `length` stop is cut short. */
export function toOutcome(completion: Partial<ChatCompletion> & Record<string, unknown>): AssistantOutcome {
  const choice = completion.choices?.[0];
  // OpenRouter reports an error met mid-generation inside an HTTP 200.
  const inlineError = errorObjectOf(completion) ?? errorObjectOf(choice ?? {});
  if (choice === undefined || inlineError !== null) {
    return { kind: "failure", error: inlineError?.message ?? "the answer has no choices", sessionId: null };
  }
  const content = text(choice.message?.content) ?? "";
  const refusal = text(choice.message?.refusal);
  if (refusal !== null || choice.finish_reason === "content_filter") {
    const body = [refusal, content].find((part) => part !== null && part.trim() !== "") ?? FILTERED;
    return { kind: "flagged", body, sessionId: null };
  }
  if (content.trim() === "") {
    return { kind: "failure", error: "the assistant sent an empty answer", sessionId: null };
  }
  return choice.finish_reason === "length"
    ? { kind: "answer", body: content, sessionId: null, cutShort: true }
    : { kind: "answer", body: content, sessionId: null };
}

/** An OpenAI-style `{message, type, code}` (code may be a number on llama.cpp and vLLM), or null. */
type LooseError = { message: string; type: string | null; code: string | number | null };

function errorObjectOf(holder: object): LooseError | null {
  const error = (holder as { error?: unknown }).error;
  if (error === null || typeof error !== "object") return null;
  const { message, type, code } = error as Partial<Record<keyof ErrorObject, unknown>>;
  return {
    message: text(message) ?? JSON.stringify(error),
    type: text(type),
    code: typeof code === "string" || typeof code === "number" ? code : null,
  };
}

/**
 * What an HTTP error answer means. Azure's prompt filter (400 `content_filter`) is an outcome, not an
 * error: the person is shown the flagged warning, as for a filtered answer.
 */
export function toErrorOrOutcome(answer: JsonAnswer): AssistantApiError | AssistantOutcome {
  const { status, headers } = answer;
  const parsed = jsonObjectOf(answer.text);
  // vLLM answers `{object: "error", message, type, code}` at the top level.
  const error = parsed === null ? null : (errorObjectOf(parsed) ?? errorObjectOf({ error: parsed }));
  const code = error?.code ?? null;
  const kind = error?.type ?? null;
  const detail = error?.message ?? null;
  const message = `the OpenAI-compatible server answered HTTP ${status}${code === null ? "" : ` (${code})`}${detail ? `: ${detail}` : ""}`;
  if (status === 400 && code === "content_filter") {
    return { kind: "flagged", body: detail ?? FILTERED, sessionId: null };
  }
  if (isContextTooLong(status, code, kind, detail)) return new ContextTooLongError(message, status, code);
  if (status === 402 || (status === 429 && isNeverRetried(code, kind, detail))) {
    return new BackendUnavailableError(message, status, code);
  }
  if (status === 429) {
    const retryAfterMs =
      parseMilliseconds(header(headers, "retry-after-ms")) ?? parseRetryAfter(header(headers, "retry-after"));
    return new RateLimitedError(message, status, code, retryAfterMs);
  }
  return new AssistantApiError(message, status, code, kind);
}

function isContextTooLong(
  status: number,
  code: string | number | null,
  kind: string | null,
  detail: string | null,
): boolean {
  if (code === "context_length_exceeded" || kind === "exceed_context_size_error") return true;
  // vLLM: 400 "This model's maximum context length is 4096 tokens. However, you requested …".
  return (status === 400 || status === 413) && detail !== null && /maximum context length/i.test(detail);
}

/** A 429 that no wait cures: quota or credits exhausted, or one request above the tokens-per-minute limit. */
function isNeverRetried(code: string | number | null, kind: string | null, detail: string | null): boolean {
  if (kind === "insufficient_quota" || code === "insufficient_quota") return true;
  return detail !== null && /request too large.*tokens per min/is.test(detail);
}

/** Azure's `retry-after-ms`: a number of milliseconds. */
function parseMilliseconds(value: string | null): number | null {
  if (value === null || value.trim() === "") return null;
  const ms = Number(value);
  return Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : null;
}
