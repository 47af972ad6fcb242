import { editDistance } from "../../src/edit-distance.js";

/**
 * The terminal chat's `/commands`. A typed line that starts with `/` and a word is a command and is
 * answered here: an unknown or misspelt one must never reach the assistant, where each question can
 * be a paid call. A path such as `/etc/hosts`, or a line typed with a space first, is a message.
 */
export type Command =
  | { kind: "new" }
  | { kind: "quit" }
  | { kind: "help" }
  | { kind: "vote"; score: 0 | 1; comment: string }
  | { kind: "refused"; say: string };

interface Spec {
  name: string;
  usage: string;
  does: string;
  /** Whether text may follow the name. */
  takesText: boolean;
  /** Offered only when feedback is on. */
  feedback?: true;
}

const COMMANDS: readonly Spec[] = [
  {
    name: "new",
    usage: "/new",
    does: "start a fresh conversation (the assistant forgets this one)",
    takesText: false,
  },
  { name: "good", usage: "/good", does: "rate the last answer 👍", takesText: false, feedback: true },
  {
    name: "bad",
    usage: "/bad [what went wrong]",
    does: "rate the last answer 👎, with an optional comment",
    takesText: true,
    feedback: true,
  },
  { name: "help", usage: "/help", does: "this list", takesText: false },
  { name: "quit", usage: "/quit", does: "leave (Ctrl-D and Ctrl-C leave too)", takesText: false },
];
/** Other names people type for a command. */
const ALIASES: Readonly<Record<string, string>> = { exit: "quit" };

/** `/name`, then optionally a space and text: a word right after the slash, ended by a space or the line. */
const COMMAND = /^\/([A-Za-z][\w-]*)(?:\s+(.*))?$/;

/** The command a typed line holds, or null when it is a message for the assistant. */
export function parseCommand(raw: string, feedback: boolean): Command | null {
  const match = COMMAND.exec(raw.trimEnd());
  if (!match) return null;
  const typed = (match[1] ?? "").toLowerCase();
  const text = match[2]?.trim() ?? "";
  const available = COMMANDS.filter((spec) => feedback || !spec.feedback);
  const spec = available.find((candidate) => candidate.name === (ALIASES[typed] ?? typed));
  if (!spec) {
    if (COMMANDS.some((candidate) => candidate.name === typed))
      return { kind: "refused", say: `(/${typed} is off here: feedback is switched off with FEEDBACK=off)` };
    const near = available.filter((candidate) => editDistance(typed, candidate.name) <= 2);
    const guess = near.length > 0 ? ` Did you mean ${near.map((c) => `/${c.name}`).join(" or ")}?` : "";
    return { kind: "refused", say: `(/${typed} is not a command.${guess} /help lists them.)` };
  }
  if (text && !spec.takesText) {
    return { kind: "refused", say: `(/${spec.name} takes nothing after it: type ${spec.usage} alone.)` };
  }
  if (spec.name === "good" || spec.name === "bad")
    return { kind: "vote", score: spec.name === "good" ? 1 : 0, comment: text };
  return { kind: spec.name as "new" | "help" | "quit" };
}

/** What /help shows. */
export function helpText(feedback: boolean): string {
  const available = COMMANDS.filter((spec) => feedback || !spec.feedback);
  const width = Math.max(...available.map((spec) => spec.usage.length));
  return [
    "Commands:",
    ...available.map((spec) => `  ${spec.usage.padEnd(width)}  ${spec.does}`),
    "Anything else is a message for the assistant; to send one that starts with /, type a space first.",
  ].join("\n");
}
