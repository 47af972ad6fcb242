/**
 * Long Markdown → several messages, none over the platform's limit, none losing text. Pure. The one
 * splitter of the bridge: each platform passes its limit (and what must never be cut, e.g. Slack's
 * `<link|label>` tokens); the ANSWER_MAX_CHARS cap uses its fence and cut rules too.
 */

export interface SplitOptions {
  /** Characters per message at most. */
  limit: number;
  /**
   * Spans a message break must not fall inside (a global RegExp), e.g. Slack's `<url|label>` tokens
   * and `&amp;` entities. A span longer than a whole message is cut all the same. @default none
   */
  unbreakable?: RegExp;
}

/** The smallest limit: a message must hold a reopened fence (up to 37 characters), its closing line and some text. */
export const MIN_SPLIT_LIMIT = 100;

/** One message of a split text: a slice of the original, wrapped so that an open code block renders. */
export interface PlannedPart {
  /** Reopens the code block the previous part had to close (```` ```lang\n ````), else "". */
  reopen: string;
  /** `text.slice(start, end)`: the original characters, untouched. */
  body: string;
  /** Closes a code block still open at the end of `body` (`\n```` ` ``), else "". */
  close: string;
  /** What was dropped between this body and the next ("\n\n", "\n", " " or ""): the message break. */
  separator: string;
}

/** A code block open at some point of a text. */
export interface Fence {
  /** The opening run, e.g. "```" or "~~~~"; the closing run must match it. */
  marker: string;
  /** The info string's first word (the language), kept short so reopening stays cheap. */
  language: string;
}

// Up to three spaces of indentation, then a run of 3+ backticks or tildes (CommonMark fences). Longer
// runs are left alone: reopening them in every part would eat the space the text needs.
const FENCE_LINE = /^ {0,3}(`{3,16}|~{3,16})(?![`~])(.*)$/;
/** A reopened fence's language is cut to this, so a silly info string cannot eat a part. */
const MAX_LANGUAGE = 20;
/** Paragraph and line breaks are only used when they keep at least this share of a part. */
const MIN_FILL = 0.5;

/**
 * Splits `text` into messages of at most `limit` characters, preferring paragraph, then line, then word
 * breaks, and closing a code block at a break inside it and reopening it (with its language) in the
 * next message. Nothing is cut off; only whitespace at the breaks is dropped. Whitespace-only parts
 * are left out (platforms refuse empty messages).
 */
export function splitMessage(text: string, options: SplitOptions): string[] {
  return planParts(text, options)
    .map((part) => part.reopen + part.body + part.close)
    .filter((content) => content.trim() !== "");
}

/** The plan behind `splitMessage`, exposed so tests can check that the bodies rebuild the text. */
export function planParts(text: string, options: SplitOptions): PlannedPart[] {
  const spans = options.unbreakable ? spansOf(text, options.unbreakable) : [];
  const parts: PlannedPart[] = [];
  let start = 0;
  let fence: Fence | null = null; // the code block open at `start`
  do {
    const { part, next, open } = nextPart(text, start, fence, options.limit, spans);
    parts.push(part);
    start = next;
    fence = open;
  } while (start < text.length);
  return parts;
}

/** The first message of `text` alone (e.g. the start of a capped answer), without planning the rest. */
export function firstPart(text: string, limit: number): string {
  const { part } = nextPart(text, 0, null, limit, []);
  return part.body + part.close;
}

/** The part starting at `start` with `fence` open there; where the next starts and what is open then. */
function nextPart(
  text: string,
  start: number,
  fence: Fence | null,
  limit: number,
  spans: readonly Span[],
): { part: PlannedPart; next: number; open: Fence | null } {
  if (!Number.isInteger(limit) || limit < MIN_SPLIT_LIMIT)
    throw new RangeError(`limit must be at least ${MIN_SPLIT_LIMIT}, got ${limit}`);
  const reopen = reopenLine(fence);
  let budget = limit - reopen.length;
  for (;;) {
    const { end, next } = chooseCut(text, start, budget, spans);
    const open = scanFences(text, start, end, fence);
    const close = closeLine(open);
    if (reopen.length + (end - start) + close.length <= limit) {
      return {
        part: { reopen, body: text.slice(start, end), close, separator: text.slice(end, next) },
        next,
        open,
      };
    }
    // The closing line did not fit: try again with room for it.
    budget = Math.min(budget - 1, limit - reopen.length - close.length);
  }
}

/** The line that reopens `fence` at the start of a message ("" when no block is open). */
export function reopenLine(fence: Fence | null): string {
  return fence ? `${fence.marker}${fence.language}\n` : "";
}

/** The line that closes `fence` at the end of a message ("" when no block is open). */
function closeLine(fence: Fence | null): string {
  return fence ? `\n${fence.marker}` : "";
}

/** `[start, end)` of every unbreakable span, in order. */
type Span = readonly [number, number];

function spansOf(text: string, pattern: RegExp): Span[] {
  const global = pattern.global ? pattern : new RegExp(pattern.source, `${pattern.flags}g`);
  return [...text.matchAll(global)]
    .filter((match) => match[0].length > 1)
    .map((match) => [match.index, match.index + match[0].length] as const);
}

/** The span a break before `at` would fall inside, if any. */
function spanAround(spans: readonly Span[], at: number): Span | undefined {
  return spans.find(([from, to]) => from < at && at < to);
}

/**
 * Where the part starting at `start` ends (`end`, exclusive) and the next begins (`next`, after the
 * dropped separator). The body is never empty, so every part makes progress.
 */
function chooseCut(
  text: string,
  start: number,
  budget: number,
  spans: readonly Span[],
): { end: number; next: number } {
  const max = start + Math.max(1, budget);
  if (text.length <= max) return { end: text.length, next: text.length };
  const minFill = start + Math.floor((max - start) * MIN_FILL);
  /** The last `separator` at or before `from` that is not inside a span. */
  const lastOutside = (separator: string, from: number) => {
    let at = text.lastIndexOf(separator, from);
    while (at > start && spanAround(spans, at)) at = text.lastIndexOf(separator, at - 1);
    return at;
  };
  for (const separator of ["\n\n", "\n"]) {
    // A separator that starts at `max` still leaves a body of exactly `budget` characters.
    const at = lastOutside(separator, max);
    if (at > start && at >= minFill) return { end: at, next: at + separator.length };
  }
  const space = lastOutside(" ", max);
  if (space > start) return { end: space, next: space + 1 };
  // One word longer than a message: cut it, but not inside a span, nor between a surrogate pair's halves.
  let end = max;
  const span = spanAround(spans, end);
  if (span && span[0] > start) end = span[0];
  if (end - 1 > start) end = surrogateSafe(text, end);
  return { end, next: end };
}

/** The fence open after the complete lines of `text[from, to)`, given the one open at `from`. */
export function scanFences(text: string, from: number, to: number, open: Fence | null): Fence | null {
  let fence = open;
  let lineStart = from;
  while (lineStart < to) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    // A line cut off by the break is not a fence line yet: it is judged in the part that completes it.
    if (lineEnd > to) break;
    const match = FENCE_LINE.exec(text.slice(lineStart, lineEnd));
    if (match) {
      const run = match[1] ?? "";
      const info = (match[2] ?? "").trim();
      if (!fence) {
        // Backtick fences cannot have a backtick in their info string (CommonMark).
        if (!(run.startsWith("`") && info.includes("`"))) {
          fence = { marker: run, language: (info.split(/\s+/)[0] ?? "").slice(0, MAX_LANGUAGE) };
        }
      } else if (info === "" && run[0] === fence.marker[0] && run.length >= fence.marker.length) {
        fence = null;
      }
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  return fence;
}

/** `at`, moved back one when a cut there would split a surrogate pair (an emoji into two broken halves). */
export function surrogateSafe(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}
