import { randomUUID } from "node:crypto";
import type { Turn } from "../assistant/types.js";
import { TtlMap } from "../collections/ttl-map.js";
import { TtlSet } from "../collections/ttl-set.js";
import type { Platform, Reply } from "../types.js";
import { QuotaLogs } from "./quota-logs.js";
import type {
  AcceptLimits,
  AcceptResult,
  BridgeStore,
  Claim,
  HistoryAppend,
  Lease,
  OverQuota,
  Phase,
  QueuedMessage,
  QuotaCheck,
  SessionHead,
} from "./store.js";
import { turnChars } from "./store.js";
import { Waiters } from "./waiters.js";

/**
 * At Slack's ceiling of 30,000 events an hour per workspace, 50,000 dedupe entries hold the 15 minutes
 * of DEDUPE_TTL_MS for several busy workspaces, while keeping the sets a few MB.
 */
const MAX_DEDUPE_ENTRIES = 50_000;

export interface MemoryStoreOptions {
  /** Keys remembered by `accept` and `once`, per distinct TTL. @default 50,000 */
  maxDedupeEntries?: number;
  /** Values remembered by `remember`, per distinct TTL. @default 50,000 */
  maxRememberedEntries?: number;
  /**
   * Session histories kept, per distinct TTL; the least recently used are forgotten past it. Each may
   * hold up to ASSISTANT_HISTORY_MAX_CHARS. @default 5,000
   */
  maxHistories?: number;
  /**
   * People and workspaces whose usage-quota windows are kept, per window length; past it the least
   * recently counted are forgotten (and undercounted). @default 100,000
   */
  maxQuotaLogs?: number;
  /** The store's clock for usage quotas (tests move it). @default Date.now */
  now?: () => number;
}

interface Session {
  readonly id: string;
  readonly platform: Platform;
  /** The FIFO; its first entry is the head a worker is on. Bounded by the backpressure limits. */
  readonly entries: QueuedMessage[];
  phase: Phase;
  reply: Reply | null;
  lease: { token: string; expiresAt: number } | null;
}

/**
 * The bridge's state in this process only (no REDIS_URL): what the pipeline kept in its own maps,
 * behind the store port. Memory stays bounded: a session is dropped when its FIFO empties, and after
 * `complete` only the dedupe key of a message is left, until its TTL.
 */
export class MemoryStore implements BridgeStore {
  readonly shared = false;
  readonly #seen: ByTtl<TtlSet>;
  readonly #values: ByTtl<TtlMap<string>>;
  readonly #histories: ByTtl<TtlMap<readonly Turn[]>>;
  readonly #quotaLogs: QuotaLogs;
  readonly #now: () => number;
  readonly #sessions = new Map<string, Session>();
  /** Sessions with work and no lease, per platform; a Set keeps insertion order, so it is a FIFO. */
  readonly #ready = new Map<Platform, Set<string>>();
  /** Sessions under lease, for `recoverExpired` (at most the workers' concurrency). */
  readonly #leased = new Map<string, Session>();
  readonly #pendingPerUser = new Map<string, number>();
  readonly #waiters = new Waiters();
  #pending = 0;
  #window: { limit: number; windowMs: number; starts: StartWindow } | null = null;
  #pausedUntil = 0;

  constructor(options: MemoryStoreOptions = {}) {
    const maxSeen = options.maxDedupeEntries ?? MAX_DEDUPE_ENTRIES;
    const maxValues = options.maxRememberedEntries ?? 50_000;
    this.#seen = new ByTtl((ttlMs) => new TtlSet({ ttlMs, maxEntries: maxSeen }));
    this.#values = new ByTtl((ttlMs) => new TtlMap<string>({ ttlMs, maxEntries: maxValues }));
    const maxHistories = options.maxHistories ?? 5_000;
    this.#histories = new ByTtl((ttlMs) => new TtlMap<readonly Turn[]>({ ttlMs, maxEntries: maxHistories }));
    this.#quotaLogs = new QuotaLogs(options.maxQuotaLogs ?? 100_000);
    this.#now = options.now ?? Date.now;
  }

  async accept(entry: QueuedMessage, limits: AcceptLimits): Promise<AcceptResult> {
    if (!this.#once(entry.key, limits.dedupeTtlMs)) return "duplicate";
    const now = this.#now();
    const over = limits.quota ? this.#overQuota(limits.quota, now) : null;
    if (over) return over;
    const userPending = this.#pendingPerUser.get(entry.userKey) ?? 0;
    if (this.#pending >= limits.maxPending || userPending >= limits.maxPendingPerUser) return "busy";
    this.#pending++;
    this.#pendingPerUser.set(entry.userKey, userPending + 1);
    this.#quotaLogs.count(limits.quota?.counts ?? [], now);
    const session = this.#sessions.get(entry.sessionId);
    if (session) {
      session.entries.push(entry);
    } else {
      const created: Session = {
        id: entry.sessionId,
        platform: entry.message.platform,
        entries: [entry],
        phase: "queued",
        reply: null,
        lease: null,
      };
      this.#sessions.set(created.id, created);
      this.#makeReady(created);
    }
    return "queued";
  }

  async once(key: string, ttlMs: number): Promise<boolean> {
    return this.#once(key, ttlMs);
  }

  async forget(key: string): Promise<void> {
    for (const set of this.#seen.all()) set.delete(key);
  }

  async claim(platforms: readonly Platform[], leaseMs: number): Promise<Claim | null> {
    for (const platform of platforms) {
      const ready = this.#ready.get(platform);
      const id = ready?.values().next().value;
      if (ready === undefined || id === undefined) continue;
      ready.delete(id);
      const session = this.#sessions.get(id);
      if (session === undefined) continue;
      const token = randomUUID();
      session.lease = { token, expiresAt: performance.now() + leaseMs };
      this.#leased.set(id, session);
      return { lease: { sessionId: id, token }, head: headOf(session) };
    }
    return null;
  }

  waitForWork(platforms: readonly Platform[], timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted || platforms.some((p) => (this.#ready.get(p)?.size ?? 0) > 0)) {
      return Promise.resolve();
    }
    return this.#waiters.add(platforms, timeoutMs, signal).woken;
  }

  async renew(lease: Lease, leaseMs: number): Promise<boolean> {
    const session = this.#held(lease);
    if (session?.lease == null) return false;
    session.lease.expiresAt = performance.now() + leaseMs;
    return true;
  }

  async recordReply(lease: Lease, reply: Reply, append?: HistoryAppend): Promise<boolean> {
    const session = this.#held(lease);
    if (session === undefined) return false;
    if (session.phase === "answered") return true;
    session.phase = "answered";
    session.reply = reply;
    if (append) this.#append(session.id, append);
    return true;
  }

  async history(sessionId: string): Promise<Turn[]> {
    for (const map of this.#histories.all()) {
      const turns = map.get(sessionId);
      if (turns !== undefined) return [...turns];
    }
    return [];
  }

  async complete(lease: Lease, leaseMs: number): Promise<SessionHead | null | "lost"> {
    const session = this.#held(lease);
    if (session?.lease == null) return "lost";
    const done = session.entries.shift();
    if (done !== undefined) this.#unpend(done.userKey);
    session.phase = "queued";
    session.reply = null;
    if (session.entries.length === 0) {
      this.#sessions.delete(session.id);
      this.#leased.delete(session.id);
      return null;
    }
    session.lease.expiresAt = performance.now() + leaseMs;
    return headOf(session);
  }

  async release(lease: Lease): Promise<void> {
    const session = this.#held(lease);
    if (session === undefined) return;
    session.lease = null;
    this.#leased.delete(session.id);
    this.#makeReady(session);
  }

  async recoverExpired(): Promise<number> {
    const now = performance.now();
    let recovered = 0;
    for (const session of this.#leased.values()) {
      if (session.lease === null || session.lease.expiresAt > now) continue;
      session.lease = null;
      this.#leased.delete(session.id);
      this.#makeReady(session);
      recovered++;
    }
    return recovered;
  }

  async acquireStart(
    limit: number,
    windowMs: number,
    lease?: Lease,
    onGranted?: () => void,
  ): Promise<number | "lost"> {
    const session = lease ? this.#held(lease) : undefined;
    if (lease && session === undefined) return "lost";
    // The pair is fixed per process; a new pair (only in tests) starts a fresh window.
    if (this.#window?.limit !== limit || this.#window.windowMs !== windowMs) {
      this.#window = { limit, windowMs, starts: new StartWindow(limit, windowMs) };
    }
    const now = performance.now();
    const wait = Math.max(this.#window.starts.waitMs(now), this.#pausedUntil - now);
    if (wait > 0) return Math.max(1, Math.ceil(wait));
    if (session) session.phase = "started";
    // Started in the same synchronous step as the check, and recorded once it has left: no window of
    // the calls' real departures ever holds more than `limit`, whatever pauses happen.
    onGranted?.();
    this.#window.starts.record(performance.now());
    return 0;
  }

  async pauseStarts(ms: number): Promise<void> {
    this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + ms);
  }

  async depth(): Promise<number> {
    return this.#pending;
  }

  async remember(key: string, value: string, ttlMs: number): Promise<void> {
    for (const map of this.#values.all()) map.delete(key);
    this.#values.get(ttlMs).set(key, value);
  }

  async recall(key: string): Promise<string | null> {
    for (const map of this.#values.all()) {
      const value = map.get(key);
      if (value !== undefined) return value;
    }
    return null;
  }

  notReadyReason(): string | null {
    return null;
  }

  async close(): Promise<void> {
    this.#waiters.wakeAll();
  }

  #once(key: string, ttlMs: number): boolean {
    for (const set of this.#seen.all()) if (set.has(key)) return false;
    return this.#seen.get(ttlMs).add(key);
  }

  /** The quota used up that resets last, told once per channel and window; null when all have room. */
  #overQuota(quota: QuotaCheck, now: number): OverQuota | null {
    const over = this.#quotaLogs.usedUp(quota.counts, now);
    if (over === null) return null;
    const { kind, limit, windowMs } = over.count;
    const tell = quota.channel === null || this.#once(`quota-told:${kind}:${quota.channel}`, windowMs);
    return { over: kind, limit, resetInMs: over.resetInMs, tell };
  }

  /** Appends a turn, then drops the oldest whole turns while the history is over its bound. */
  #append(sessionId: string, { turn, maxChars, ttlMs }: HistoryAppend): void {
    const kept: Turn[] = [];
    for (const map of this.#histories.all()) {
      kept.push(...(map.get(sessionId) ?? []));
      map.delete(sessionId);
    }
    kept.push({ question: turn.question, answer: turn.answer });
    let total = kept.reduce((sum, each) => sum + turnChars(each), 0);
    while (total > maxChars) total -= turnChars(kept.shift() as Turn);
    if (kept.length > 0) this.#histories.get(ttlMs).set(sessionId, kept);
  }

  #held(lease: Lease): Session | undefined {
    const session = this.#sessions.get(lease.sessionId);
    return session?.lease?.token === lease.token ? session : undefined;
  }

  #makeReady(session: Session): void {
    let ready = this.#ready.get(session.platform);
    if (ready === undefined) {
      ready = new Set();
      this.#ready.set(session.platform, ready);
    }
    ready.add(session.id);
    this.#waiters.wake(session.platform);
  }

  #unpend(userKey: string): void {
    this.#pending--;
    const left = (this.#pendingPerUser.get(userKey) ?? 1) - 1;
    if (left > 0) this.#pendingPerUser.set(userKey, left);
    else this.#pendingPerUser.delete(userKey);
  }
}

function headOf(session: Session): SessionHead {
  const entry = session.entries[0];
  if (entry === undefined) throw new Error(`session ${session.id} has no message`); // never: emptied ones are dropped
  return { entry, phase: session.phase, reply: session.reply };
}

/**
 * One collection per TTL. TtlSet and TtlMap stay in expiry order (O(1) pruning) because all their
 * entries live the same time; callers use a handful of fixed TTLs, so a few collections in all.
 */
class ByTtl<T> {
  readonly #byTtl = new Map<number, T>();
  constructor(private readonly make: (ttlMs: number) => T) {}

  get(ttlMs: number): T {
    let collection = this.#byTtl.get(ttlMs);
    if (collection === undefined) {
      if (this.#byTtl.size >= 32) throw new RangeError(`too many distinct TTLs (${ttlMs} ms is the 33rd)`);
      collection = this.make(ttlMs);
      this.#byTtl.set(ttlMs, collection);
    }
    return collection;
  }

  all(): IterableIterator<T> {
    return this.#byTtl.values();
  }
}

/**
 * The last `limit` call starts: the memory store's sliding window. The store checks it, starts the
 * call and records when it left, in one synchronous step, so no window of `intervalMs` ever holds
 * more than `limit` calls that left, whatever pauses happen.
 */
export class StartWindow {
  readonly #starts: number[] = [];
  readonly #limit: number;
  readonly #intervalMs: number;
  #oldest = 0;

  constructor(limit: number, intervalMs: number) {
    if (!(limit >= 1)) throw new RangeError(`limit must be at least 1, got ${limit}`);
    if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
    this.#limit = limit;
    this.#intervalMs = intervalMs;
  }

  /** Milliseconds to wait before one more start at `now` keeps the window within the limit (0: go). */
  waitMs(now: number): number {
    if (this.#starts.length < this.#limit) return 0;
    const oldest = this.#starts[this.#oldest] ?? Number.NEGATIVE_INFINITY;
    return Math.max(0, oldest + this.#intervalMs - now);
  }

  /** Notes a start that has happened (call it after the request went out). */
  record(now: number): void {
    if (this.#starts.length < this.#limit) {
      this.#starts.push(now);
      return;
    }
    this.#starts[this.#oldest] = now;
    this.#oldest = (this.#oldest + 1) % this.#limit;
  }
}
