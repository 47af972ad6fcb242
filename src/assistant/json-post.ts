import { Agent, type Dispatcher } from "undici";
import { errorCode, networkFailureOf } from "../http/network-failure.js";
import { AssistantNetworkError } from "./errors.js";

/** An HTTP answer of any status, its body read as text. */
export interface JsonAnswer {
  status: number;
  headers: Dispatcher.ResponseData["headers"];
  text: string;
}

export interface JsonPoster {
  /** One POST of `payload` as JSON with the per-call timeout; throws AssistantNetworkError when no answer came. */
  post(path: string, payload: unknown, signal?: AbortSignal): Promise<JsonAnswer>;
  /** Closes the kept-alive connections; call it once no call is in flight any more. */
  close(): Promise<void>;
}

/**
 * JSON POSTs to one origin over undici's request API on a pool of kept-alive connections. Not
 * `fetch`: on Node 20 a fetch call costs several times the CPU (WHATWG streams, Headers, extra
 * signals), and under load that was the bridge's largest cost (docs/PERFORMANCE.md).
 */
export function createJsonPoster(options: {
  origin: string;
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
}): JsonPoster {
  const headers = { ...options.headers, "content-type": "application/json", accept: "application/json" };
  const agent = new Agent();
  return {
    async post(path, payload, signal) {
      // A timer (not AbortSignal.timeout) so that fake timers in tests drive it too.
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new TimeoutMarker()), options.timeoutMs);
      const onCallerAbort = () => controller.abort(signal?.reason);
      signal?.addEventListener("abort", onCallerAbort, { once: true });
      if (signal?.aborted) onCallerAbort();
      try {
        const response = await agent.request({
          origin: options.origin,
          path,
          method: "POST",
          headers,
          body: JSON.stringify(payload),
          signal: controller.signal,
        });
        return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
      } catch (error) {
        throw toNetworkError(error, controller.signal);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onCallerAbort);
      }
    },
    // Every call has settled by then (the bridge drains or cancels them first).
    close: () => agent.destroy(),
  };
}

class TimeoutMarker extends Error {}

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

/** The answer's body as a JSON object, or null when it is not one. */
export function jsonObjectOf(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // not JSON (a proxy's HTML page, say)
  }
  return null;
}

/** A string field, or null. */
export function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** One header's value (the first when repeated), or null. */
export function header(headers: JsonAnswer["headers"], name: string): string | null {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}
