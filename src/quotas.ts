/**
 * Usage quotas: how many questions one person, and one workspace, may ask in a sliding window (the
 * last hour, the last 24 hours; no calendar). The store counts a question in the same atomic step
 * that accepts it (src/state/lua/accept.lua, MemoryStore.accept), on its own clock, so every replica
 * shares one exact count; this module holds the rule: what a setting means, whom a message counts
 * against, and how the reset time is worded.
 */
import type { QuotaCheck, QuotaCount } from "./state/store.js";
import type { ChatMessage } from "./types.js";

export type QuotaUnit = "hour" | "day";

/** `N/hour` or `N/day`: at most `limit` questions in any window of that length. */
export interface Quota {
  limit: number;
  unit: QuotaUnit;
}

export interface QuotaConfig {
  /** QUOTA_PER_PERSON; null: no limit. */
  perPerson: Quota | null;
  /** QUOTA_PER_WORKSPACE; null: no limit. */
  perWorkspace: Quota | null;
  /** QUOTA_EXEMPT_USERS: platform user ids that neither quota limits. */
  exemptUsers: ReadonlySet<string>;
}

export const NO_QUOTAS: QuotaConfig = { perPerson: null, perWorkspace: null, exemptUsers: new Set() };

const WINDOW_MS: Readonly<Record<QuotaUnit, number>> = { hour: 3_600_000, day: 86_400_000 };

/** The accepted forms, as start-up errors quote them. */
export const QUOTA_FORMS = "N/hour or N/day (e.g. 20/hour, 100/day)";

/** A quota setting, or null when it is not `N/hour` or `N/day` with N at least 1. */
export function parseQuota(raw: string): Quota | null {
  const match = /^(\d+)\s*\/\s*(hour|day)$/i.exec(raw.trim());
  if (!match) return null;
  const limit = Number(match[1]);
  if (!Number.isSafeInteger(limit) || limit < 1) return null;
  return { limit, unit: (match[2] ?? "").toLowerCase() as QuotaUnit };
}

function windowMsOf(quota: Quota): number {
  return WINDOW_MS[quota.unit];
}

/**
 * What `message` counts against, for the store's accept step; null when nothing limits it (the
 * terminal chat, an exempt user, no quota set). A person is a platform user id; a workspace is a
 * Slack team (the Enterprise Grid organisation on an org-wide install) or a Discord server, and a
 * direct message counts for the person only.
 */
export function quotaCheck(message: ChatMessage, config: QuotaConfig): QuotaCheck | null {
  if (message.platform === "console" || config.exemptUsers.has(message.user)) return null;
  const counts: QuotaCount[] = [];
  if (config.perPerson) {
    counts.push(countOf("person", `${message.platform}:${message.user}`, config.perPerson));
  }
  if (config.perWorkspace && !message.direct) {
    const workspace = message.organization ?? message.workspace;
    counts.push(countOf("workspace", `${message.platform}:${workspace}`, config.perWorkspace));
  }
  if (counts.length === 0) return null;
  return {
    counts,
    // A DM is the person's own: every refusal there is told.
    channel: message.direct ? null : `${message.platform}:${message.workspace}:${message.channel}`,
  };
}

function countOf(kind: QuotaCount["kind"], scope: string, quota: Quota): QuotaCount {
  return { kind, scope, limit: quota.limit, windowMs: windowMsOf(quota) };
}

/**
 * When a refused person may ask again, as words ("in 12 minutes", "in 3 hours"): never a timestamp
 * (each reader has their own time zone), and rounded up, so it is never too early.
 */
export function resetWording(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  if (minutes < 60) return `in ${minutes} ${minutes === 1 ? "minute" : "minutes"}`;
  if (minutes === 60) return "in 1 hour";
  if (minutes < 120) {
    const rest = minutes - 60;
    return `in 1 hour and ${rest} ${rest === 1 ? "minute" : "minutes"}`;
  }
  return `in ${Math.ceil(minutes / 60)} hours`;
}

/** "20 questions an hour", "1 question a day". */
export function quotaWording(limit: number, unit: QuotaUnit): string {
  return `${limit.toLocaleString("en-US")} ${limit === 1 ? "question" : "questions"} ${unit === "hour" ? "an hour" : "a day"}`;
}
