import type { Turn } from "../assistant/types.js";
import type { ChatMessage, Platform, Reply } from "../types.js";

/** How long a message id is remembered: it must outlive Slack's last retry (about 5 minutes). */
export const DEDUPE_TTL_MS = 15 * 60_000;

/**
 * How long a session's history is kept after its last turn. A session is a thread or conversation
 * that people come back to for days; Twilio documents no expiry for its sessions. A month, like the
 * feedback the bridge remembers.
 */
export const HISTORY_TTL_MS = 30 * 24 * 60 * 60_000;

/**
 * The bridge's state port. Everything the pipeline must remember between receiving a message and
 * answering it lives behind this interface: the in-memory store keeps it in one process, the Redis
 * store shares it between every replica that uses the same Redis. The pipeline has one code path and
 * does not know which one it has; both pass the same contract tests (test/state/contract.ts).
 *
 * Every method may reject when the store cannot be reached; the pipeline decides what that means
 * (intake refuses, in-flight work retries until the store is back).
 */
export interface BridgeStore {
  /**
   * True when the state outlives this process (Redis): on shutdown, queued work is left to the other
   * replicas or the next process instead of being told to ask again.
   */
  readonly shared: boolean;

  /**
   * One atomic step: dedupe on `entry.key` (remembered for `limits.dedupeTtlMs`), check the
   * backpressure limits over everything pending in the store, append to the FIFO of
   * `entry.sessionId`, and make the session ready for a worker when nobody holds its lease.
   * A "busy" result still remembers the key, so a redelivery gets no second notice.
   *
   * With `limits.quota`, the same step first checks the message's usage quotas on the store's clock:
   * over one, it answers `OverQuota` (the key is remembered, nothing is queued or counted); else a
   * queued message is counted in each quota's sliding window. Duplicates and busy ones are not.
   */
  accept(entry: QueuedMessage, limits: AcceptLimits): Promise<AcceptResult>;

  /** Remembers `key` for `ttlMs`; true the first time, false while it is remembered. */
  once(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets a key remembered with `once` (so a failed action may be tried again). */
  forget(key: string): Promise<void>;

  /**
   * Takes one ready session of one of `platforms`, with a new lease of `leaseMs`, and returns its
   * first message; null when none is ready.
   */
  claim(platforms: readonly Platform[], leaseMs: number): Promise<Claim | null>;
  /**
   * Resolves when a session of one of `platforms` may have become ready, after `timeoutMs` at the
   * latest, or at once when `signal` aborts. Spurious wake-ups are allowed.
   */
  waitForWork(platforms: readonly Platform[], timeoutMs: number, signal: AbortSignal): Promise<void>;
  /** Extends a lease this worker holds; false when it is no longer ours (expired and taken). */
  renew(lease: Lease, leaseMs: number): Promise<boolean>;
  /**
   * Fenced: records the reply of the first message (phase `answered`); false when the lease is lost.
   * With `append`, the same atomic step appends its turn to the session's history, then drops the
   * oldest whole turns while the history's characters exceed `append.maxChars` (a turn longer than
   * that on its own is not kept), and keeps the history `append.ttlMs` from now. A head already
   * answered is left as it is (true, nothing appended): a second run never appends twice.
   */
  recordReply(lease: Lease, reply: Reply, append?: HistoryAppend): Promise<boolean>;
  /** The session's history, oldest turn first; empty when it has none or it expired. One round trip. */
  history(sessionId: string): Promise<Turn[]>;
  /**
   * Fenced: removes the first message (it is answered and posted) and frees its backpressure counts.
   * Returns the session's next message with the lease kept and extended by `leaseMs`, `null` when the
   * session is empty (the lease is released), or "lost" when the lease was no longer ours.
   */
  complete(lease: Lease, leaseMs: number): Promise<SessionHead | null | "lost">;
  /** Gives a held session back, unchanged, ready for any worker (shutdown). */
  release(lease: Lease): Promise<void>;
  /**
   * Makes sessions whose lease expired (their worker died) ready again, in order; returns how many.
   * Cheap to call often: every worker calls it about every third of the lease time.
   */
  recoverExpired(): Promise<number>;

  /**
   * The shared sliding window of assistant calls: when fewer than `limit` calls started in the last
   * `windowMs` (on the store's clock) and no pause is in force, records one start and returns 0;
   * otherwise returns how many milliseconds to wait before asking again. With `lease`, the start is
   * the call of the session's first message, in the same atomic step: fenced ("lost" when the lease
   * is no longer ours), and a granted start marks that message `started` (after a crash it is never
   * sent again). `onGranted` starts the call: it runs exactly once, when a start is granted and before
   * this resolves, synchronously inside the grant where the store can (memory) and as soon as the
   * grant is read otherwise (Redis), so no call leaves later than its recorded start by more than that.
   */
  acquireStart(
    limit: number,
    windowMs: number,
    lease?: Lease,
    onGranted?: () => void,
  ): Promise<number | "lost">;
  /** Pauses every worker's starts for `ms` from now (a 429's Retry-After); a shorter pause never shortens one in force. */
  pauseStarts(ms: number): Promise<void>;

  /** Messages accepted and not yet completed, over every replica. */
  depth(): Promise<number>;

  /** Shared memory with a time to live (Slack's active threads, Discord's conversation pointers). */
  remember(key: string, value: string, ttlMs: number): Promise<void>;
  /** The value remembered under `key`, or null once forgotten or expired. */
  recall(key: string): Promise<string | null>;

  /** Null while the store answers, else why not (for /readyz). */
  notReadyReason(): string | null;
  close(): Promise<void>;
}

/** A turn to keep in a session's history, with the bounds of that history. */
export interface HistoryAppend {
  turn: Turn;
  /** The history's bound: question and answer characters over every kept turn. */
  maxChars: number;
  /** The history expires this long after its last turn (HISTORY_TTL_MS). */
  ttlMs: number;
}

/** A turn's size as the history bound counts it. */
export function turnChars(turn: Turn): number {
  return turn.question.length + turn.answer.length;
}

/** A message as the store keeps it until it is answered: all any replica needs to answer it. */
export interface QueuedMessage {
  /** The dedupe key, `<platform>:<platform message id>`. */
  key: string;
  requestId: string;
  /** The Twilio session id, one per thread; the FIFO and the lease are per session. */
  sessionId: string;
  /** Backpressure is counted per user: `<platform>:<workspace>:<user>`. */
  userKey: string;
  identity: string;
  /** The message itself, with the address its reply goes to. */
  message: ChatMessage;
}

export interface AcceptLimits {
  /** Messages pending over the whole store; at the limit, `accept` answers "busy". */
  maxPending: number;
  /** The same for one `userKey`. */
  maxPendingPerUser: number;
  dedupeTtlMs: number;
  /** The usage quotas this message counts against (src/quotas.ts); absent: none. */
  quota?: QuotaCheck;
}

/** One usage quota a message counts against: at most `limit` questions in any `windowMs`. */
export interface QuotaCount {
  kind: "person" | "workspace";
  /** Whose questions are counted, e.g. `slack:U123` (a person) or `discord:<guild id>`. */
  scope: string;
  limit: number;
  windowMs: number;
}

export interface QuotaCheck {
  counts: readonly QuotaCount[];
  /**
   * The channel whose over-quota refusals are told once per quota window (the rest are quiet);
   * null for a direct message, where every refusal is told.
   */
  channel: string | null;
}

/** A question refused by a usage quota. */
export interface OverQuota {
  /** The quota used up; of two, the one that resets last. */
  over: "person" | "workspace";
  limit: number;
  /** How long until that quota's window has room for one more question (store time). */
  resetInMs: number;
  /** True for the first refusal in the channel and window (and always in a DM): post the notice. */
  tell: boolean;
}

export type AcceptResult = "queued" | "duplicate" | "busy" | OverQuota;

/**
 * How far the first message of a session got: `queued` (no call yet), `started` (its assistant call
 * went out: after a crash it is never sent again), `answered` (its reply is recorded, not yet posted).
 */
export type Phase = "queued" | "started" | "answered";

export interface SessionHead {
  entry: QueuedMessage;
  phase: Phase;
  /** The recorded reply, when `phase` is `answered`. */
  reply: Reply | null;
}

/** A worker's hold on one session: only the holder of the token may change it (fencing). */
export interface Lease {
  sessionId: string;
  token: string;
}

export interface Claim {
  lease: Lease;
  head: SessionHead;
}
