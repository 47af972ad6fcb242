import { createInterface } from "node:readline";
import { FLAGGED_WARNING } from "../../src/notices.js";
import type { Adapter, AdapterContext, Reply, ThreadPort } from "../../src/types.js";

export interface ConsoleOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Who is typing (becomes the identity `user_id:console_local_<user>`). */
  user: string;
  /** First line shown, above the help (says which assistant answers). */
  greeting: string;
  /** Called when the input ends (Ctrl-D) or the user types /quit. */
  onEnd: () => void;
}

const HELP = "Type a message and press Enter. /new starts a fresh conversation, /quit leaves.";

/** A terminal chat through the full pipeline: one conversation until /new. */
export function createConsoleAdapter(options: ConsoleOptions, context: AdapterContext): Adapter {
  const { output } = options;
  let conversation = 1;
  let counter = 0;
  let taking = false;
  const lines = createInterface({ input: options.input, terminal: false });
  const write = (text: string) => output.write(`${text}\n`);

  const port: ThreadPort = {
    async post(reply: Reply) {
      write(render(reply));
    },
    startWorking() {
      write("  … the assistant is thinking");
      return async () => {};
    },
  };

  lines.on("line", (raw) => {
    const text = raw.trim();
    if (!taking || text === "") return;
    if (text === "/quit" || text === "/exit") {
      options.onEnd();
      return;
    }
    if (text === "/new") {
      conversation++;
      write(`(new conversation #${conversation}: the assistant starts with a clean memory)`);
      return;
    }
    counter++;
    void context.sink
      .submit({
        platform: "console",
        workspace: "local",
        channel: "terminal",
        thread: `${process.pid}-${conversation}`,
        user: options.user,
        text,
        id: `${process.pid}-${counter}`,
        address: {},
      })
      .then((result) => {
        if (result === "stopped") write("(the bridge is shutting down; this message was not sent)");
        if (result === "unavailable")
          write("(the bridge could not store this message; please send it again)");
      });
  });
  lines.on("close", () => {
    if (taking) options.onEnd();
  });

  return {
    platform: "console",
    routes: new Map(),
    // One terminal, one place to answer.
    portFor: () => port,
    async start() {
      taking = true;
      write(`${options.greeting}\n${HELP}`);
    },
    notReadyReason: () => (taking ? null : "console: not started"),
    async stopIntake() {
      taking = false;
    },
    async close() {
      lines.close();
    },
  };
}

/** Plain text for a terminal: Markdown shows as it is. */
export function render(reply: Reply): string {
  switch (reply.kind) {
    case "answer":
      return `assistant> ${reply.text}`;
    case "flagged":
      return `${FLAGGED_WARNING}\nassistant> ${reply.text}`;
    default:
      return `notice> ${reply.text}`;
  }
}
