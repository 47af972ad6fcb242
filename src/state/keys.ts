import type { Platform } from "../types.js";

/** The default key prefix: one hash tag, so every key of the store lives in one Redis Cluster slot. */
export const DEFAULT_REDIS_PREFIX = "{bridge}:";

/**
 * Every Redis key and channel the store uses, under one prefix. The scripts that only learn a session
 * inside Redis (claim, release, recover-expired) build `q:`, `s:`, `ready:` and `bell:` names from
 * the prefix themselves, in the same formats as here.
 */
export class RedisKeys {
  /** Sessions under lease: a sorted set of session id by lease expiry (ms, Redis time). */
  readonly leases: string;
  /** Pending counts: field `all` for the whole store, one field per user key. */
  readonly pending: string;
  /** The sliding window: a sorted set of recent call starts by start time. */
  readonly starts: string;
  /** Present (with a TTL) while starts are paused. */
  readonly pause: string;

  constructor(readonly prefix: string) {
    this.leases = `${prefix}leases`;
    this.pending = `${prefix}pending`;
    this.starts = `${prefix}starts`;
    this.pause = `${prefix}pause`;
  }

  /** Marks a message key (or a `once` key) as seen. */
  seen(key: string): string {
    return `${this.prefix}seen:${key}`;
  }

  /** A session's FIFO of JSON entries. */
  queue(sessionId: string): string {
    return `${this.prefix}q:${sessionId}`;
  }

  /** A session's lease token, the platform it was claimed from, and its head's phase and reply. */
  session(sessionId: string): string {
    return `${this.prefix}s:${sessionId}`;
  }

  /** A session's history: a list of `<chars>:<turn JSON>`, oldest first (see record-answer.lua). */
  history(sessionId: string): string {
    return `${this.prefix}h:${sessionId}`;
  }

  /** Sessions of one platform with work and no lease. */
  ready(platform: Platform): string {
    return `${this.prefix}ready:${platform}`;
  }

  /** The Pub/Sub channel that wakes idle workers of one platform. */
  bell(platform: Platform): string {
    return `${this.prefix}bell:${platform}`;
  }

  /** A usage quota's sliding window: a sorted set of the questions counted, by time (ms, Redis time). */
  quotaLog(kind: string, scope: string): string {
    return `${this.prefix}quota:${kind}:${scope}`;
  }

  /** Present (with the quota's window as TTL) once a channel was told that quota is used up. */
  quotaTold(kind: string, channel: string): string {
    return `${this.prefix}quota-told:${kind}:${channel}`;
  }

  /** A value kept with `remember`. */
  value(key: string): string {
    return `${this.prefix}kv:${key}`;
  }
}

/** Whether `prefix` starts its keys with a non-empty hash tag (what Redis Cluster hashes). */
export function hasHashTag(prefix: string): boolean {
  return /^[^{]*\{[^}]+\}/.test(prefix);
}
