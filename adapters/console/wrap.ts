/** Word wrapping for text that may hold ANSI colour codes (which take no room on the screen). */

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC.
const ANSI = /\u001b\[[0-9;]*m/g;

/** How many columns `text` takes on a terminal (colour codes take none). */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

/**
 * Breaks `line` at spaces so that no piece is wider than `width`; continuation lines start at
 * `indent` columns. A single word wider than that (a URL) stays whole: the terminal wraps it.
 */
export function wrapLine(line: string, width: number, indent: number): string[] {
  if (visibleLength(line) <= width) return [line];
  const lead = " ".repeat(indent);
  const lines: string[] = [];
  let current = "";
  let currentLength = 0;
  for (const word of line.split(/(?<=\S) (?=\S)/)) {
    const length = visibleLength(word);
    if (currentLength > 0 && currentLength + 1 + length > width) {
      lines.push(current);
      current = lead + word.trimStart();
      currentLength = indent + visibleLength(word.trimStart());
    } else {
      current = currentLength > 0 ? `${current} ${word}` : word;
      currentLength += (currentLength > 0 ? 1 : 0) + length;
    }
  }
  lines.push(current);
  return lines;
}
