import { parseRetryAfter } from "../../http/retry-after.js";
import { AssistantApiError, AssistantGoneError, RateLimitedError } from "../errors.js";
import { createJsonPoster, header, type JsonAnswer, jsonObjectOf, text } from "../json-post.js";
import type { AssistantClient, AssistantOutcome, FeedbackClient } from "../types.js";

export interface TwilioClientOptions {
  /** Base URL, e.g. `https://assistants.twilio.com` (no trailing slash needed). */
  baseUrl: string;
  assistantId: string;
  /** Basic auth: Account SID + Auth Token, or API Key SID + secret. */
  username: string;
  password: string;
  /** Per-call timeout; the request is aborted past it. */
  timeoutMs: number;
}

export interface TwilioAssistantClient extends AssistantClient, FeedbackClient {
  /** Closes the kept-alive connections; call it once no call is in flight any more. */
  close(): Promise<void>;
}

/** Wire shape of Twilio's answer (fields may be missing or null). */
interface MessageResponse {
  status?: unknown;
  flagged?: unknown;
  aborted?: unknown;
  session_id?: unknown;
  body?: unknown;
  error?: unknown;
}

/** Client for `POST /v1/Assistants/{id}/Messages` and `/Feedbacks`. Twilio keeps each session's memory. */
export function createTwilioAssistantClient(options: TwilioClientOptions): TwilioAssistantClient {
  const base = `${options.baseUrl.replace(/\/+$/, "")}/v1/Assistants/${encodeURIComponent(options.assistantId)}`;
  const { origin } = new URL(base);
  // Worked out once, not per call.
  const pathOf = (resource: string) => {
    const { pathname, search } = new URL(`${base}/${resource}`);
    return `${pathname}${search}`;
  };
  const messagesPath = pathOf("Messages");
  const feedbacksPath = pathOf("Feedbacks");
  const poster = createJsonPoster({
    origin,
    headers: {
      authorization: `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`,
    },
    timeoutMs: options.timeoutMs,
  });

  /** The parsed JSON answer of a 2xx, else a typed error. */
  async function post(path: string, payload: unknown, signal?: AbortSignal) {
    const answer = await poster.post(path, payload, signal);
    if (answer.status < 200 || answer.status > 299) throw toApiError(answer);
    const parsed = jsonObjectOf(answer.text);
    if (parsed === null) {
      throw new AssistantApiError(
        `Twilio answered ${answer.status} with a body that is not a JSON object`,
        answer.status,
        null,
      );
    }
    return parsed;
  }

  return {
    backend: "twilio",
    keepsHistory: true,
    async send(request, signal) {
      const payload: Record<string, string> = {
        identity: request.identity,
        body: request.body,
        session_id: request.sessionId,
        mode: request.mode,
      };
      if (request.webhook !== undefined) payload.webhook = request.webhook;
      return toOutcome(await post(messagesPath, payload, signal));
    },
    async sendFeedback(request, signal) {
      const payload: Record<string, string | number> = {
        session_id: request.sessionId,
        score: request.score,
      };
      if (request.text !== undefined && request.text !== "") payload.text = request.text;
      if (request.messageId !== undefined) payload.message_id = request.messageId;
      const answer = await post(feedbacksPath, payload, signal);
      return { id: text(answer.id) };
    },
    close: () => poster.close(),
  };
}

/** Classifies an answer; `status` is compared case-insensitively (Twilio mixes `success`/`Success`). */
export function toOutcome(response: MessageResponse): AssistantOutcome {
  const sessionId = text(response.session_id);
  const error = text(response.error) ?? (response.error == null ? null : JSON.stringify(response.error));
  const status = (text(response.status) ?? "").toLowerCase();
  if (response.aborted === true) return { kind: "aborted", error, sessionId };
  if (status === "failure" || status === "failed" || status === "error") {
    return { kind: "failure", error, sessionId };
  }
  const body = text(response.body) ?? "";
  if (body.trim() === "")
    return { kind: "failure", error: error ?? "the assistant sent an empty answer", sessionId };
  return { kind: response.flagged === true ? "flagged" : "answer", body, sessionId };
}

/** Twilio's error code for "not found": the assistant (or, once retired, the API) does not exist. */
const NOT_FOUND = 20404;

function toApiError({ status, headers, text: body }: JsonAnswer): AssistantApiError {
  let code: number | null = null;
  let message = `Twilio answered HTTP ${status}`;
  let moreInfo: string | null = null;
  const parsed = jsonObjectOf(body);
  // Not JSON (a proxy's HTML page, say): the status says enough.
  if (parsed !== null) {
    if (typeof parsed.code === "number") code = parsed.code;
    const detail = text(parsed.message) ?? text(parsed.detail) ?? text(parsed.title);
    if (detail) message = `${message}: ${detail}`;
    moreInfo = text(parsed.more_info) ?? text(parsed.type);
  }
  if (status === 429 || code === 20429) {
    return new RateLimitedError(message, status, code, parseRetryAfter(header(headers, "retry-after")));
  }
  if (status === 404 || status === 410 || code === NOT_FOUND) {
    return new AssistantGoneError(message, status, code, moreInfo);
  }
  return new AssistantApiError(message, status, code, moreInfo);
}
