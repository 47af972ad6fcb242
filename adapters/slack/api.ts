/**
 * The one transport of every Web API call the adapter makes: one call over undici's request API (a
 * fraction of `fetch`'s CPU per call, which counts in a burst of answers), with no retries and no
 * queue of its own, and errors that say whether the call may have been carried out. @slack/web-api's
 * client cannot do that: it retries timed-out calls blindly (a post could appear twice) and pauses
 * every call on one 429 (see poster.ts), so one slow nicety could hold every answer back.
 */
import type { Dispatcher } from "undici";
import { networkFailureOf } from "../../src/http/network-failure.js";
import { parseRetryAfter } from "../../src/http/retry-after.js";

/** Arguments as Slack's form encoding takes them; objects must be JSON strings already. */
export type SlackArgs = Readonly<Record<string, string | number | boolean | undefined>>;

/** Calls one Web API method; resolves with the `ok: true` answer, rejects with a SlackCallError. */
export type SlackCaller = (method: string, args: SlackArgs, signal: AbortSignal) => Promise<SlackAnswer>;

export type SlackAnswer = Readonly<Record<string, unknown>>;

/** Base class of what a SlackCaller throws. */
export class SlackCallError extends Error {
  override name = "SlackCallError";
}

/** Slack answered `ok: false`: the call was refused and nothing happened. */
export class SlackPlatformError extends SlackCallError {
  override name = "SlackPlatformError";
  constructor(
    readonly method: string,
    /** Slack's error code, e.g. `not_in_channel`. */
    readonly code: string,
  ) {
    super(`${method} failed: ${code}`);
  }
}

/** HTTP 429: nothing happened; wait `retryAfterMs` before calling again. */
export class SlackRateLimitedError extends SlackCallError {
  override name = "SlackRateLimitedError";
  constructor(
    readonly method: string,
    readonly retryAfterMs: number,
  ) {
    super(`${method} was rate-limited (retry after ${retryAfterMs} ms)`);
  }
}

/** Any other HTTP answer than 200 and 429, or a 200 that is not Slack's JSON. */
export class SlackHttpError extends SlackCallError {
  override name = "SlackHttpError";
  constructor(
    readonly method: string,
    readonly status: number,
  ) {
    super(`${method} answered HTTP ${status}`);
  }
}

/** No HTTP answer. `neverSent`: the request surely did not reach Slack (refused, DNS). */
export class SlackNetworkError extends SlackCallError {
  override name = "SlackNetworkError";
  constructor(
    readonly method: string,
    readonly failure: "refused" | "dns" | "reset" | "timeout" | "cancelled" | "other",
    options?: { cause?: unknown },
  ) {
    super(`${method}: no answer (${failure})`, options);
  }

  get neverSent(): boolean {
    return this.failure === "refused" || this.failure === "dns";
  }
}

/** Aborts a call for its own timeout, so it is told apart from a caller's cancellation. */
export class SlackTimeout extends Error {
  override name = "SlackTimeout";
}

/** Slack asks for no Retry-After on some 429s; a second is its per-channel posting pace. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

export interface SlackCallerOptions {
  /** SLACK_API_URL, with its trailing slash. */
  apiUrl: string;
  token: string;
  /** The connection pool; its owner closes it. */
  dispatcher: Dispatcher;
}

/** A SlackCaller for one token. The token goes in the Authorization header, never in the body or URL. */
export function createSlackCaller(options: SlackCallerOptions): SlackCaller {
  const { dispatcher } = options;
  // Worked out once: the API URL may carry a path (a proxy, GovSlack's /api/).
  const base = new URL(options.apiUrl);
  const basePath = base.pathname.endsWith("/") ? base.pathname : `${base.pathname}/`;
  const headers = {
    authorization: `Bearer ${options.token}`,
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
  };
  return async (method, args, signal) => {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(args)) if (value !== undefined) body.set(key, String(value));
    let response: Dispatcher.ResponseData;
    let text: string;
    try {
      response = await dispatcher.request({
        origin: base.origin,
        path: `${basePath}${method}`,
        method: "POST",
        headers,
        body: body.toString(),
        signal,
      });
      text = await response.body.text();
    } catch (error) {
      if (signal.aborted) {
        const failure = signal.reason instanceof SlackTimeout ? "timeout" : "cancelled";
        throw new SlackNetworkError(method, failure, { cause: error });
      }
      throw new SlackNetworkError(method, networkFailureOf(error), { cause: error });
    }
    const status = response.statusCode;
    if (status === 429) {
      const retryAfter = response.headers["retry-after"];
      const retryAfterMs =
        parseRetryAfter(typeof retryAfter === "string" ? retryAfter : null) ?? DEFAULT_RETRY_AFTER_MS;
      throw new SlackRateLimitedError(method, retryAfterMs);
    }
    if (status !== 200) throw new SlackHttpError(method, status);
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new SlackHttpError(method, status);
    }
    if (typeof answer !== "object" || answer === null) throw new SlackHttpError(method, status);
    const { ok, error } = answer as { ok?: unknown; error?: unknown };
    if (ok !== true)
      throw new SlackPlatformError(method, typeof error === "string" ? error : "unknown_error");
    return answer as SlackAnswer;
  };
}

/** Calls `method` with a timeout of its own (aborting with a SlackTimeout), cut short by `signal` too. */
export async function callWithin(
  call: SlackCaller,
  method: string,
  args: SlackArgs,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<SlackAnswer> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new SlackTimeout()), timeoutMs);
  try {
    return await call(method, args, signal ? AbortSignal.any([timeout.signal, signal]) : timeout.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** Slack error codes that mean the token no longer works at all (every later call fails alike). */
export const CREDENTIAL_ERRORS: ReadonlySet<string> = new Set([
  "token_revoked",
  "invalid_auth",
  "account_inactive",
  "token_expired",
  "not_authed",
]);
