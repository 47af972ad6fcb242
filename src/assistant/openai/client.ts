import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from "openai/resources/chat/completions";
import type { OpenAiSettings } from "../../config/assistant.js";
import type { Logger } from "../../logger.js";
import { AssistantApiError } from "../errors.js";
import { createJsonPoster, jsonObjectOf } from "../json-post.js";
import type { AssistantClient, FeedbackClient } from "../types.js";
import { messagesFor, safetyIdentifierOf, toErrorOrOutcome, toOutcome } from "./answers.js";

/** The OPENAI_* settings (see OpenAiSettings), plus what every backend's client gets. */
export interface OpenAiClientOptions extends OpenAiSettings {
  /** Per-call timeout; the request is aborted past it. */
  timeoutMs: number;
  /** Where votes go: this backend has no feedback API. */
  logger: Logger;
}

export interface OpenAiAssistantClient extends AssistantClient, FeedbackClient {
  /** Closes the kept-alive connections; call it once no call is in flight any more. */
  close(): Promise<void>;
}

/**
 * Client for any server that speaks OpenAI's Chat Completions (`POST {base}/chat/completions`).
 * Stateless: the bridge sends each session's history. Over undici, like the Twilio client, with the
 * openai package's types only: its fetch transport cost several times the CPU per call
 * (docs/PERFORMANCE.md), and its retries could bill a timed-out answer twice.
 */
export function createOpenAiAssistantClient(options: OpenAiClientOptions): OpenAiAssistantClient {
  const url = new URL(`${options.baseUrl.replace(/\/+$/, "")}/chat/completions`);
  const path = `${url.pathname}${url.search}`;
  const headers: Record<string, string> = {};
  if (options.apiKey !== null) {
    headers[options.apiKeyHeader] =
      options.apiKeyHeader === "authorization" ? `Bearer ${options.apiKey}` : options.apiKey;
  }
  const poster = createJsonPoster({ origin: url.origin, headers, timeoutMs: options.timeoutMs });

  return {
    backend: "openai",
    keepsHistory: false,
    async send(request, signal) {
      const payload: ChatCompletionCreateParamsNonStreaming = {
        model: options.model,
        messages: messagesFor(options.instructions, request.history, request.body),
      };
      if (options.safetyIdentifier) payload.safety_identifier = safetyIdentifierOf(request.identity);
      const answer = await poster.post(path, payload, signal);
      if (answer.status < 200 || answer.status > 299) {
        const mapped = toErrorOrOutcome(answer);
        if (mapped instanceof AssistantApiError) throw mapped;
        return mapped;
      }
      const completion = jsonObjectOf(answer.text);
      if (completion === null) {
        throw new AssistantApiError(
          `the OpenAI-compatible server answered ${answer.status} with a body that is not a JSON object`,
          answer.status,
          null,
        );
      }
      return toOutcome(completion as Partial<ChatCompletion> & Record<string, unknown>);
    },
    // No vendor API: the vote is a structured log event (the recorder keeps one per person, and the metrics).
    async sendFeedback(request) {
      const { sessionId, score } = request;
      const withText = request.text !== undefined && request.text !== "";
      options.logger.info({ event: "feedback", sessionId, score, withText }, "feedback recorded");
      if (withText)
        options.logger.debug({ event: "feedback", sessionId, text: request.text }, "feedback text");
      return { id: null };
    },
    close: () => poster.close(),
  };
}
