import type { NetworkFailure } from "../assistant/errors.js";

/** Socket error codes of a request that never left this host: retrying it cannot do anything twice. */
const NEVER_SENT_CODES: Readonly<Record<string, NetworkFailure>> = {
  ECONNREFUSED: "refused",
  UND_ERR_CONNECT_TIMEOUT: "refused",
  EHOSTUNREACH: "refused",
  ENETUNREACH: "refused",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
};

/**
 * What went wrong with a request that got no HTTP answer, from its socket error (fetch and undici wrap
 * it in `cause`). Timeouts and cancellations are the caller's to tell apart: it owns the signal.
 */
export function networkFailureOf(error: unknown): Exclude<NetworkFailure, "timeout" | "cancelled"> {
  const code = errorCode(error);
  if (code && NEVER_SENT_CODES[code]) return NEVER_SENT_CODES[code] as "refused" | "dns";
  return code === "ECONNRESET" || code === "UND_ERR_SOCKET" ? "reset" : "other";
}

/** The socket's error code, on the error itself or in its `cause` (an AggregateError when several addresses failed). */
export function errorCode(error: unknown): string | null {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === "string") return code;
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return null;
}
