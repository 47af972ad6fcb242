/** Base class of every error the assistant clients throw. */
export class AssistantError extends Error {
  override name = "AssistantError";
}

/** The service answered with an HTTP error: the request reached it and was refused. */
export class AssistantApiError extends AssistantError {
  override name = "AssistantApiError";
  constructor(
    message: string,
    /** HTTP status of the answer. */
    readonly status: number,
    /** Twilio's error code (e.g. 20404) or an OpenAI-style one (e.g. `insufficient_quota`), when the body had one. */
    readonly code: number | string | null,
    readonly moreInfo: string | null = null,
  ) {
    super(message);
  }

  /** 401 or 403: the service refused the credentials (wrong, rotated or revoked); every call will fail alike. */
  get credentialsRefused(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/**
 * HTTP 429 (or Twilio error 20429) asking to slow down: never processed, always safe to retry after
 * backing off. Not a 429 about an exhausted quota: that is a BackendUnavailableError.
 */
export class RateLimitedError extends AssistantApiError {
  override name = "RateLimitedError";
  constructor(
    message: string,
    status: number,
    code: number | string | null,
    /** Delay asked for by `Retry-After` (or `retry-after-ms`), in milliseconds; null when absent or unreadable. */
    readonly retryAfterMs: number | null,
  ) {
    super(message, status, code);
  }
}

/**
 * Twilio answered 404 (error 20404) or 410 for the assistant: it does not exist or the API is gone
 * (AI Assistants retires in July 2026). Not a passing failure: every call will fail alike.
 */
export class AssistantGoneError extends AssistantApiError {
  override name = "AssistantGoneError";
}

/**
 * The service refuses calls until an operator acts: quota or credits exhausted (a 429
 * `insufficient_quota`, OpenRouter's 402) or a request larger than the per-minute token limit. Never
 * succeeds on retry; the message says the cause for the log.
 */
export class BackendUnavailableError extends AssistantApiError {
  override name = "BackendUnavailableError";
}

/**
 * The prompt (instructions, history and question) is longer than the model's context. Sending less
 * history may fit; the question alone may not.
 */
export class ContextTooLongError extends AssistantApiError {
  override name = "ContextTooLongError";
}

/**
 * Why a request got no HTTP answer. `refused` and `dns` mean the request never left this host, so a
 * retry cannot duplicate an assistant turn; the others may have reached the service.
 */
export type NetworkFailure = "refused" | "dns" | "reset" | "timeout" | "cancelled" | "other";

/** The request got no HTTP answer. */
export class AssistantNetworkError extends AssistantError {
  override name = "AssistantNetworkError";
  /** False when the request certainly never reached the service (safe to retry). */
  readonly mayHaveBeenProcessed: boolean;
  constructor(
    message: string,
    readonly failure: NetworkFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.mayHaveBeenProcessed = failure !== "refused" && failure !== "dns";
  }
}
