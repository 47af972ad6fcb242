/**
 * Warnings about variables that look meant for the bridge but that it does not read (a typo such as
 * `SLACK_BOT_TOKN` would otherwise be ignored in silence).
 */

/**
 * The prefix families come from the known names themselves (`SLACK_BOT_TOKEN` gives `SLACK_`,
 * `FEEDBACK` gives `FEEDBACK`), so a variable added to loadConfig brings its family along.
 */
function prefixOf(name: string): string {
  const underscore = name.indexOf("_");
  return underscore < 0 ? name : name.slice(0, underscore + 1);
}

/** One warning per set variable with one of the bridge's prefixes that `known` does not hold. */
export function unknownVariableWarnings(present: Iterable<string>, known: ReadonlySet<string>): string[] {
  const prefixes = [...new Set([...known].map(prefixOf))];
  const warnings: string[] = [];
  for (const name of [...present].sort()) {
    if (known.has(name)) continue;
    const upper = name.toUpperCase();
    if (!prefixes.some((prefix) => upper.startsWith(prefix))) continue;
    const closest = closestName(name, known);
    warnings.push(
      closest === null
        ? `${name} is not a variable the bridge reads; it is ignored`
        : `${name} is not a variable the bridge reads; did you mean ${closest}?`,
    );
  }
  return warnings;
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

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1] ?? [];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min((above[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (above[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(value);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}
