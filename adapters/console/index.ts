import { createInterface } from "node:readline";
import type { Adapter, AdapterContext, ThreadPort } from "../../src/adapter.js";
import { feedbackReplies } from "../../src/pipeline/feedback.js";
import type { FeedbackRef, Reply, SubmitResult } from "../../src/types.js";
import { helpText, parseCommand } from "./commands.js";
import { render } from "./render.js";
import { Screen } from "./screen.js";
import { wrapLine } from "./wrap.js";

export interface ConsoleOptions {
  input: NodeJS.ReadableStream;
  /** A terminal (`isTTY`) gets the prompt, editing, history and rendered Markdown; else plain lines. */
  output: NodeJS.WritableStream;
  /** Who is typing (becomes the identity `user_id:console_local_<user>`). */
  user: string;
  /** First line shown, above the help (says which assistant answers). */
  greeting: string;
  /** Where the logs go, named below the greeting; null when they go to the terminal. */
  logFile: string | null;
  /** The person is leaving (Ctrl-D, /quit, Ctrl-C): stop after the pending answers. */
  onEnd: () => void;
  /** A second Ctrl-C while answers are pending: leave at once. */
  onLeaveNow: () => void;
  /** The thinking line shows once an answer takes this long. @default 1000 */
  thinkingDelayMs?: number;
}

/** What to say when a message gets no reply; results missing here get one through the port. */
const UNANSWERED: Partial<Record<SubmitResult, string>> = {
  duplicate: "",
  stopped: "(the bridge is shutting down; this message was not sent)",
  unavailable:
    "(the bridge cannot take messages right now: its shared store is unreachable; please try again)",
};

const HELP =
  "Type a message and press Enter. /new starts a fresh conversation, /quit leaves, /help lists the commands.";
/** Said only when feedback is on. */
const FEEDBACK_HELP = "/good or /bad [what went wrong] rates the last answer.";
const PROMPT = "you> ";

/** A terminal chat through the full pipeline: one conversation until /new. */
export function createConsoleAdapter(options: ConsoleOptions, context: AdapterContext): Adapter {
  const { output } = options;
  const terminal = (output as { isTTY?: boolean }).isTTY === true;
  const thinkingDelayMs = options.thinkingDelayMs ?? 1000;
  let conversation = 1;
  let counter = 0;
  /** What /good and /bad rate: the latest answer that can be rated. */
  let lastAnswer: FeedbackRef | null = null;
  let taking = false;
  let leaving = false;
  let closed = false;
  /** Messages sent and not yet answered: when each was sent. */
  const pending = new Map<string, number>();
  const lines = createInterface({
    input: options.input,
    output,
    terminal,
    prompt: PROMPT,
    historySize: 100,
    removeHistoryDuplicates: true,
  });
  const screen = new Screen(output, terminal ? lines : null);
  const columns = () => (terminal ? ((output as { columns?: number }).columns ?? 80) : null);

  let ticker: NodeJS.Timeout | undefined;
  /** The thinking line: only on a terminal, only past the delay, with the seconds waited so far. */
  const showThinking = () => {
    // Counted from sending, not from the call's start: a wait in the queue is waiting too.
    const waited = pending.size === 0 ? 0 : Date.now() - Math.min(...pending.values());
    if (waited < thinkingDelayMs) {
      screen.status(null);
      return;
    }
    const more = pending.size > 1 ? `; ${pending.size} answers pending` : "";
    screen.status(`  … the assistant is thinking (${Math.floor(waited / 1000)} s${more})`);
  };
  const tick = () => {
    showThinking();
    if (pending.size === 0 && ticker) {
      clearInterval(ticker);
      ticker = undefined;
    } else if (pending.size > 0 && !ticker && terminal) {
      // Every quarter second, so the line appears close to the delay and the seconds count evenly.
      ticker = setInterval(tick, 250);
      ticker.unref();
    }
  };

  /** The port of one message: its answer replaces the thinking line. */
  const portFor = (id: string): ThreadPort => ({
    async post(reply: Reply) {
      if (reply.feedback) lastAnswer = reply.feedback;
      pending.delete(id);
      screen.status(null);
      screen.print(render(reply, { columns: columns() }));
      tick();
    },
    canReply: () => true,
    // One conversation with one person: there is no earlier thread to read.
    readContext: async () => [],
    startWorking() {
      // The thinking line is the indicator; it already counts from sending (see showThinking).
      return async () => {};
    },
  });

  /** Records a vote on the last answer, as the buttons do on Slack and Discord. */
  const rate = async (score: 0 | 1, comment: string) => {
    if (!context.feedback || !lastAnswer) {
      screen.print("(there is no answer to rate yet)");
      return;
    }
    const result = await context.feedback.record({
      platform: "console",
      voter: options.user,
      ...lastAnswer,
      score,
      ...(comment ? { text: comment } : {}),
    });
    screen.print(`(${feedbackReplies[result]})`);
  };

  /** `how`: what the person did; a Ctrl-C asks for another, anything else for a first. */
  const leave = (how: "ctrl-c" | "other") => {
    if (leaving) return;
    leaving = true;
    screen.hidePrompt();
    if (pending.size > 0) {
      const n = pending.size;
      const now = how === "ctrl-c" ? "Ctrl-C again to leave now" : "Ctrl-C to leave now";
      screen.print(`waiting for ${n} answer${n === 1 ? "" : "s"}… (${now})`);
    }
    options.onEnd();
  };

  const submit = async (text: string) => {
    counter++;
    const id = `${process.pid}-${counter}`;
    pending.set(id, Date.now());
    tick();
    const result = await context.sink.submit({
      platform: "console",
      workspace: "local",
      channel: "terminal",
      thread: `${process.pid}-${conversation}`,
      user: options.user,
      text,
      id,
      address: { id },
    });
    const unanswered = UNANSWERED[result];
    if (unanswered === undefined) return;
    // No reply will come for this one.
    pending.delete(id);
    tick();
    if (unanswered) screen.print(unanswered);
  };

  lines.on("line", (raw) => {
    screen.lineTaken(raw);
    const text = raw.trim();
    if (taking && !leaving && text !== "") {
      // A terminal shows what was typed; a file or a pipe gets it here, so the transcript reads.
      if (!terminal) screen.print(`${PROMPT}${text}`);
      const command = parseCommand(raw, context.feedback !== null);
      if (command?.kind === "quit") {
        leave("other");
        return;
      }
      if (command === null) {
        void submit(text).catch((error: unknown) => {
          context.logger.error({ err: error }, "console: could not hand the message over");
          screen.print("(this message could not be sent; see the log)");
        });
      } else if (command.kind === "new") {
        conversation++;
        screen.print(`(new conversation #${conversation}: the assistant starts with a clean memory)`);
      } else if (command.kind === "vote") {
        void rate(command.score, command.comment);
      } else if (command.kind === "help") {
        screen.print(helpText(context.feedback !== null));
      } else {
        screen.print(command.say);
      }
    }
    if (!leaving) screen.prompt();
  });
  // Ctrl-C reaches readline, not the process, while the terminal is in raw mode.
  lines.on("SIGINT", () => {
    if (leaving && pending.size > 0) options.onLeaveNow();
    else leave("ctrl-c");
  });
  lines.on("close", () => {
    if (taking && !closed) leave("other");
  });

  return {
    platform: "console",
    routes: new Map(),
    // The address is the message id: the reply takes that message's place in the pending answers.
    portFor: (address) => portFor(String(address.id)),
    async start() {
      taking = true;
      const logs =
        options.logFile === null ? [] : [`Logs go to ${options.logFile} (LOG_LEVEL sets how much).`];
      const width = columns();
      const greeting = [options.greeting, ...logs, HELP, ...(context.feedback ? [FEEDBACK_HELP] : [])];
      screen.print(
        (width === null ? greeting : greeting.flatMap((line) => wrapLine(line, width - 1, 0))).join("\n"),
      );
      screen.prompt();
    },
    notReadyReason: () => (taking ? null : "console: not started"),
    async stopIntake() {
      taking = false;
    },
    async close() {
      closed = true;
      clearInterval(ticker);
      screen.close();
      lines.close();
    },
  };
}
