import { parseQuota, QUOTA_FORMS, type Quota, type QuotaConfig } from "../quotas.js";
import type { Reader } from "./reader.js";

/** QUOTA_PER_PERSON, QUOTA_PER_WORKSPACE and QUOTA_EXEMPT_USERS (see docs/quotas.md). */
export function readQuotas(read: Reader): QuotaConfig {
  return {
    perPerson: readQuota(read, "QUOTA_PER_PERSON"),
    perWorkspace: readQuota(read, "QUOTA_PER_WORKSPACE"),
    exemptUsers: read.list("QUOTA_EXEMPT_USERS") ?? new Set(),
  };
}

/** Unset: no quota. Anything but `N/hour` or `N/day` stops start-up. */
function readQuota(read: Reader, name: string): Quota | null {
  const raw = read.optional(name);
  if (raw === null) return null;
  const quota = parseQuota(raw);
  if (quota === null) read.problem(`${name} must be ${QUOTA_FORMS} with N at least 1, got "${raw}"`);
  return quota;
}
