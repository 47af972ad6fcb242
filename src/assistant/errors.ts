/** Base class of every error the assistant client throws. */
export class AssistantError extends Error {
  override name = "AssistantError";
}

/** Twilio answered with an HTTP error: the request reached the API and was refused. */
export class AssistantApiError extends AssistantError {
  override name = "AssistantApiError";
  constructor(
    message: string,
    /** HTTP status of the answer. */
    readonly status: number,
    /** Twilio error code (e.g. 20404), when the body carried one. */
    readonly code: number | null,
    readonly moreInfo: string | null = null,
  ) {
    super(message);
  }

  /** 401 or 403: Twilio refused the credentials (wrong, rotated or revoked); every call will fail alike. */
  get credentialsRefused(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** HTTP 429 or Twilio error 20429: never processed, always safe to retry after backing off. */
export class RateLimitedError extends AssistantApiError {
  override name = "RateLimitedError";
  constructor(
    message: string,
    status: number,
    code: number | null,
    /** Delay asked for by `Retry-After`, in milliseconds; null when the header was absent or unreadable. */
    readonly retryAfterMs: number | null,
  ) {
    super(message, status, code);
  }
}

/**
 * Why a request got no HTTP answer. `refused` and `dns` mean the request never left this host, so a
 * retry cannot duplicate an assistant turn; the others may have reached Twilio.
 */
export type NetworkFailure = "refused" | "dns" | "reset" | "timeout" | "cancelled" | "other";

/** The request got no HTTP answer. */
export class AssistantNetworkError extends AssistantError {
  override name = "AssistantNetworkError";
  /** False when the request certainly never reached Twilio (safe to retry). */
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
