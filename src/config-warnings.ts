/**
 * Warnings about variables that look meant for the bridge but that it does not read (a typo such as
 * `SLACK_BOT_TOKN` would otherwise be ignored in silence).
 */

import { editDistance } from "./edit-distance.js";

/**
 * Words that mark a variable as meant for the bridge wherever they stand in its name. They are also
 * families, with the first word of each known name (`SLACK_BOT_TOKEN` gives `SLACK`, `QUEUE_…` gives
 * `QUEUE`), so a variable added to loadConfig brings its family along.
 */
const BRIDGE_WORDS = [
  "SLACK",
  "DISCORD",
  "TWILIO",
  "OPENAI",
  "REDIS",
  "QUOTA",
  "ASSISTANT",
  "THREAD_CONTEXT",
  "FEEDBACK",
];
/** Families shorter than this (`LOG`, `PORT`) are not matched misspelt: too many words are one edit away. */
const MIN_LOOSE_FAMILY = 5;

/** One warning per set variable that looks like the bridge's but that `known` does not hold. */
export function unknownVariableWarnings(present: Iterable<string>, known: ReadonlySet<string>): string[] {
  const families = [...new Set([...BRIDGE_WORDS, ...[...known].map((name) => name.split("_")[0] ?? name)])];
  const warnings: string[] = [];
  for (const name of [...present].sort()) {
    if (known.has(name) || !looksLikeBridges(name.toUpperCase(), families, known)) continue;
    const closest = closestName(name, known);
    warnings.push(
      closest === null
        ? `${name} is not a variable the bridge reads; it is ignored`
        : `${name} is not a variable the bridge reads; did you mean ${closest}?`,
    );
  }
  return warnings;
}

/**
 * A name starts with a family (`QUEUE_…`) or a misspelt one (`SLAK_…`, `DISCROD_…`), holds one of
 * the bridge's words (`MY_SLACK_TOKEN`), or is one edit away from a known name (`PROT`). Other programs' variables (`HOME`,
 * `LOGNAME`, `npm_config_…`) match none of these.
 */
function looksLikeBridges(upper: string, families: readonly string[], known: ReadonlySet<string>): boolean {
  const first = upper.split("_")[0] ?? upper;
  for (const family of families) {
    if (upper === family || upper.startsWith(`${family}_`)) return true;
    if (family.length < MIN_LOOSE_FAMILY) continue;
    if (editDistance(first, family) <= (family.length > 6 ? 2 : 1)) return true;
  }
  if (BRIDGE_WORDS.some((word) => upper.includes(word))) return true;
  return upper.length >= 4 && [...known].some((name) => editDistance(upper, name) <= 1);
}

/** The known name nearest to `name`, when it is near enough to be the one meant; else null. */
export function closestName(name: string, known: Iterable<string>): string | null {
  const upper = name.toUpperCase();
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(upper, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A third of the name may be wrong (TOKN, TOKEM, BOT_TOEKN); beyond that a suggestion is a guess.
  return bestDistance <= Math.max(2, Math.floor(upper.length / 3)) ? best : null;
}
