import { hostOf } from "../../src/redact-url.js";

/**
 * Why auth.test failed: Slack's error code, the HTTP status, or (when Slack was not reached) the
 * variable and host it went to with the network error. Never the request: it carries the token.
 */
export function describeStartFailure(error: unknown, apiUrl: string): string {
  const { code, data, statusCode, original } = (error ?? {}) as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
    original?: { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  };
  if (typeof data?.error === "string") return `auth.test failed (${data.error})`;
  const where = `SLACK_API_URL (${hostOf(apiUrl)})`;
  if (typeof statusCode === "number") return `auth.test on ${where} answered HTTP ${statusCode}`;
  if (code === "slack_webapi_request_error") {
    // fetch's own message is "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND) is its cause.
    const reason = original?.cause?.code ?? original?.cause?.message ?? original?.message;
    return `could not reach ${where} for auth.test: ${typeof reason === "string" ? reason : "network error"}`;
  }
  if (typeof code === "string") return `auth.test failed (${code})`;
  return `auth.test failed (${error instanceof Error ? error.name : "unknown error"})`;
}
