/** Discord refuses message content longer than this. */
export const DISCORD_MESSAGE_LIMIT = 2000;

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

interface Fence {
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
 * are left out (Discord refuses empty messages).
 */
export function splitMessage(text: string, limit = DISCORD_MESSAGE_LIMIT): string[] {
  return planParts(text, limit)
    .map((part) => part.reopen + part.body + part.close)
    .filter((content) => content.trim() !== "");
}

/** The plan behind `splitMessage`, exposed so tests can check that the bodies rebuild the text. */
export function planParts(text: string, limit = DISCORD_MESSAGE_LIMIT): PlannedPart[] {
  if (!Number.isInteger(limit) || limit < 100)
    throw new RangeError(`limit must be at least 100, got ${limit}`);
  const parts: PlannedPart[] = [];
  let start = 0;
  let fence: Fence | null = null; // the code block open at `start`
  do {
    const reopen: string = fence ? `${fence.marker}${fence.language}\n` : "";
    let budget = limit - reopen.length;
    for (;;) {
      const { end, next } = chooseCut(text, start, budget);
      const open = scanFences(text, start, end, fence);
      const close = open ? `\n${open.marker}` : "";
      if (reopen.length + (end - start) + close.length <= limit) {
        parts.push({ reopen, body: text.slice(start, end), close, separator: text.slice(end, next) });
        start = next;
        fence = open;
        break;
      }
      // The closing line did not fit: try again with room for it.
      budget = Math.min(budget - 1, limit - reopen.length - close.length);
    }
  } while (start < text.length);
  return parts;
}

/**
 * Where the part starting at `start` ends (`end`, exclusive) and the next begins (`next`, after the
 * dropped separator). The body is never empty, so every part makes progress.
 */
function chooseCut(text: string, start: number, budget: number): { end: number; next: number } {
  const max = start + Math.max(1, budget);
  if (text.length <= max) return { end: text.length, next: text.length };
  const minFill = start + Math.floor((max - start) * MIN_FILL);
  for (const separator of ["\n\n", "\n"]) {
    // A separator that starts at `max` still leaves a body of exactly `budget` characters.
    const at = text.lastIndexOf(separator, max);
    if (at > start && at >= minFill) return { end: at, next: at + separator.length };
  }
  const space = text.lastIndexOf(" ", max);
  if (space > start) return { end: space, next: space + 1 };
  // One word longer than a message: cut it, but never between the halves of a surrogate pair.
  let end = max;
  if (end - 1 > start && isHighSurrogate(text.charCodeAt(end - 1))) end--;
  return { end, next: end };
}

/** The fence open after the complete lines of `text[from, to)`, given the one open at `from`. */
function scanFences(text: string, from: number, to: number, open: Fence | null): Fence | null {
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

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
