import { Marked, type MarkedExtension, type Tokens } from "marked";
import { markedTerminal } from "marked-terminal";
import { FLAGGED_WARNING } from "../../src/notices.js";
import type { Reply } from "../../src/types.js";
import { wrapLine } from "./wrap.js";

/** What goes before an answer; its continuation lines are indented to match. */
const ANSWER_LABEL = "assistant> ";
const NOTICE_LABEL = "notice> ";
/** Narrower than this, wrapping would make a column of single words. */
const MIN_WIDTH = 20;
/** A failure notice's reference, `(ref 1a2b3c4d)`: a person reads it out as one, so it never breaks. */
const REFERENCE = /\(ref [0-9a-f]+\)/g;
/** Holds a reference together while a line is wrapped (wrapLine breaks only at plain spaces). */
const NO_BREAK = "\u00a0";
/** A list item line as marked-terminal writes it: indent, a bullet or number, a space. */
const LIST_ITEM = /^(\s*(?:[*•-]|\d+\.) )/;

/**
 * How to show replies: `columns` is the terminal's width for rendered Markdown, or null for plain
 * text (output that is not a terminal gets the assistant's Markdown as it is).
 */
export interface RenderOptions {
  columns: number | null;
}

/** The lines that show one reply in the terminal. */
export function render(reply: Reply, options: RenderOptions = { columns: null }): string {
  const label = reply.kind === "answer" || reply.kind === "flagged" ? ANSWER_LABEL : NOTICE_LABEL;
  const width = options.columns === null ? null : options.columns - label.length - 1;
  const body =
    width === null
      ? reply.text
      : label === NOTICE_LABEL
        ? // Notices are plain text: wrapped at word boundaries like the answers, not rendered.
          plainForTerminal(reply.text, width)
        : markdownForTerminal(reply.text, width);
  // The warning opens the answer, wrapped and indented with it, so it reads as part of that answer.
  const warning =
    reply.kind !== "flagged"
      ? []
      : [width === null ? FLAGGED_WARNING : plainForTerminal(FLAGGED_WARNING, width)];
  const lines = [...warning, body].join("\n").split("\n");
  return [
    `${label}${lines[0] ?? ""}`,
    ...lines.slice(1).map((l) => (l ? " ".repeat(label.length) + l : l)),
  ].join("\n");
}

/** Plain text wrapped at word boundaries to `width`, a reference `(ref …)` kept on one line. */
function plainForTerminal(text: string, width: number): string {
  return text
    .replace(REFERENCE, (reference) => reference.replace(" ", NO_BREAK))
    .split("\n")
    .flatMap((line) => wrapLine(line, width, 0))
    .join("\n")
    .replaceAll(NO_BREAK, " ");
}

let renderer: { marked: Marked; width: number } | undefined;

/** The assistant's Markdown as terminal text: headings, emphasis, lists, code, links, tables. */
export function markdownForTerminal(markdown: string, columns: number): string {
  const width = Math.max(MIN_WIDTH, columns);
  // One parser per width: marked-terminal takes the width when it is created.
  if (renderer?.width !== width) renderer = { marked: createMarked(width), width };
  const rendered = renderer.marked.parse(markdown, { async: false }).replace(/\s+$/, "");
  // marked-terminal reflows paragraphs and quotes but leaves list items one line each.
  return rendered
    .split("\n")
    .flatMap((line) => {
      const item = LIST_ITEM.exec(line);
      return item ? wrapLine(line, width, item[1]?.length ?? 0) : [line];
    })
    .join("\n");
}

function createMarked(width: number): Marked {
  // The types say a renderer; at run time it is the extension marked.use() wants.
  const terminal = markedTerminal({ width, reflowText: true, tab: 2 }) as unknown as MarkedExtension;
  return new Marked(terminal, {
    renderer: {
      // marked-terminal drops the inline tokens (bold, links) of tight list items: parse them here.
      text(token: Tokens.Text | Tokens.Escape) {
        return "tokens" in token && token.tokens ? this.parser.parseInline(token.tokens) : false;
      },
    },
  });
}
