import { AssistantApiError, AssistantGoneError, BackendUnavailableError } from "../assistant/errors.js";
import { credentialsRefusedReason, GONE_ADVICE, goneReason, unavailableReason } from "../assistant/texts.js";
import type { BackendKind } from "../assistant/types.js";
import type { Logger } from "../logger.js";

/**
 * While the backend refuses every call, one call in this long is let through as a check: the first
 * message after the operator's fix is answered within it, and a refused call is never billed.
 */
export const RECHECK_EVERY_MS = 30_000;

/** Why the backend refuses every call until an operator acts (the metrics' `reason` label). */
export type RefusalCause = "credentials" | "gone" | "unavailable";

type Refusal = { cause: RefusalCause; reason: string };

/** A message held back because the backend is known to refuse calls: it was never sent. */
export class HeldCallError extends Error {
  override name = "HeldCallError";
  constructor(readonly refusal: RefusalCause) {
    super(`not sent: the assistant's backend refuses calls (${refusal})`);
  }
}

/**
 * What the calls say about the backend, for /readyz and for the breaker: after a refusal no retry
 * cures (401/403, Twilio's 404/410, an exhausted quota), messages are not sent, except one check
 * every `recheckEveryMs`; the first call that succeeds closes it.
 */
export class BackendHealth {
  readonly #backend: BackendKind;
  readonly #recheckEveryMs: number;
  #refusal: Refusal | null = null;
  #nextCheckAt = 0;

  constructor(backend: BackendKind, recheckEveryMs = RECHECK_EVERY_MS) {
    this.#backend = backend;
    this.#recheckEveryMs = recheckEveryMs;
  }

  /** Null while the backend takes calls, else why not (for /readyz). */
  notReadyReason(): string | null {
    return this.#refusal?.reason ?? null;
  }

  /** Null when a call may go out now (always while healthy, else one per interval), else why not. */
  admit(): HeldCallError | null {
    if (this.#refusal === null) return null;
    const now = Date.now();
    if (now < this.#nextCheckAt) return new HeldCallError(this.#refusal.cause);
    this.#nextCheckAt = now + this.#recheckEveryMs;
    return null;
  }

  /** A call failed for good: when no retry cures the error, the breaker opens (logged once an episode). */
  failed(error: unknown, log: Logger): void {
    const refusal = this.#refusalOf(error);
    if (refusal === null) return;
    if (this.#refusal === null) {
      this.#nextCheckAt = Date.now() + this.#recheckEveryMs;
      log.error(
        { cause: refusal.cause, recheckEveryMs: this.#recheckEveryMs },
        `${refusal.reason}; users are told the assistant is unavailable, and one call is tried every ${this.#recheckEveryMs / 1000} s`,
      );
      if (refusal.cause === "gone") log.error(GONE_ADVICE);
    }
    this.#refusal = refusal;
  }

  /** A call got an answer: the backend takes calls again. */
  answered(log: Logger): void {
    if (this.#refusal === null) return;
    log.info({ cause: this.#refusal.cause }, "the assistant's backend takes calls again");
    this.#refusal = null;
  }

  #refusalOf(error: unknown): Refusal | null {
    if (error instanceof AssistantGoneError) return { cause: "gone", reason: goneReason(error) };
    if (error instanceof BackendUnavailableError) {
      return { cause: "unavailable", reason: unavailableReason(error) };
    }
    if (error instanceof AssistantApiError && error.credentialsRefused) {
      return { cause: "credentials", reason: credentialsRefusedReason(this.#backend, error.status) };
    }
    return null;
  }
}
