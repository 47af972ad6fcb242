import { Agent, type Dispatcher } from "undici";
import { errorCode, networkFailureOf } from "../http/network-failure.js";
import { AssistantApiError, AssistantNetworkError, RateLimitedError } from "./errors.js";
import type { AssistantClient, AssistantOutcome, FeedbackClient } from "./types.js";

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

/**
 * Client for `POST /v1/Assistants/{id}/Messages` and `/Feedbacks` over undici's request API on a pool
 * of kept-alive connections. Not `fetch`: on Node 20 a fetch call costs several times the CPU (WHATWG
 * streams, Headers, extra signals), and under load that was the bridge's largest cost (see README,
 * Performance).
 */
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
  const headers = {
    authorization: `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`,
    "content-type": "application/json",
    accept: "application/json",
  };
  const agent = new Agent();

  /** One POST with the per-call timeout; the parsed JSON answer of a 2xx, else a typed error. */
  async function post(
    path: string,
    payload: unknown,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    // A timer (not AbortSignal.timeout) so that fake timers in tests drive it too.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutMarker()), options.timeoutMs);
    const onCallerAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    if (signal?.aborted) onCallerAbort();

    try {
      let response: Dispatcher.ResponseData;
      let text: string;
      try {
        response = await agent.request({
          origin,
          path,
          method: "POST",
          headers,
          body: JSON.stringify(payload),
          signal: controller.signal,
        });
        text = await response.body.text();
      } catch (error) {
        throw toNetworkError(error, controller.signal);
      }
      const status = response.statusCode;
      if (status < 200 || status > 299) throw toApiError(status, response.headers, text);
      return parseJson(text, status);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onCallerAbort);
    }
  }

  return {
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
    // Every call has settled by then (the bridge drains or cancels them first).
    close: () => agent.destroy(),
  };
}

class TimeoutMarker extends Error {}

function parseJson(text: string, status: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object") return value as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new AssistantApiError(
    `Twilio answered ${status} with a body that is not a JSON object`,
    status,
    null,
  );
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
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

function toApiError(
  status: number,
  headers: Dispatcher.ResponseData["headers"],
  body: string,
): AssistantApiError {
  let code: number | null = null;
  let message = `Twilio answered HTTP ${status}`;
  let moreInfo: string | null = null;
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (typeof parsed.code === "number") code = parsed.code;
    const detail = text(parsed.message) ?? text(parsed.detail) ?? text(parsed.title);
    if (detail) message = `${message}: ${detail}`;
    moreInfo = text(parsed.more_info) ?? text(parsed.type);
  } catch {
    // Not JSON (a proxy's HTML page, say): the status says enough.
  }
  if (status === 429 || code === 20429) {
    const retryAfter = headers["retry-after"];
    return new RateLimitedError(
      message,
      status,
      code,
      parseRetryAfter((Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null),
    );
  }
  return new AssistantApiError(message, status, code, moreInfo);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : null;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function toNetworkError(error: unknown, signal: AbortSignal): AssistantNetworkError {
  if (signal.aborted) {
    return signal.reason instanceof TimeoutMarker
      ? new AssistantNetworkError("the assistant did not answer in time", "timeout", { cause: error })
      : new AssistantNetworkError("the request was cancelled", "cancelled", { cause: error });
  }
  const code = errorCode(error);
  const failure = networkFailureOf(error);
  return new AssistantNetworkError(`network error${code ? ` (${code})` : ""}`, failure, { cause: error });
}
