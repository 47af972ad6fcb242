import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createConsoleAdapter } from "../../../adapters/console/index.js";
import type { Adapter, MessageSink } from "../../../src/adapter.js";
import { Metrics } from "../../../src/metrics.js";
import { longAnswer } from "../../../src/simulator/server.js";
import { MemoryStore } from "../../../src/state/memory-store.js";
import type { SubmitResult } from "../../../src/types.js";
import { memoryLogger, startCore, type TestCore } from "../../support/core.js";
import { FakeTerminal } from "./terminal.js";

let core: TestCore | undefined;
let adapter: Adapter | undefined;
afterEach(async () => {
  await adapter?.close();
  await core?.close();
  adapter = undefined;
  core = undefined;
});

/** Collects a plain (not a terminal) output and resolves when `pattern` has appeared `times` times. */
function plainScreen(output: PassThrough) {
  let text = "";
  const waiters: Array<() => void> = [];
  output.on("data", (chunk) => {
    text += String(chunk);
    for (const wake of waiters.splice(0)) wake();
  });
  return {
    get text() {
      return text;
    },
    async waitFor(pattern: RegExp, times = 1): Promise<void> {
      while ((text.match(new RegExp(pattern, "g")) ?? []).length < times) {
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

interface Hooks {
  ended: number;
  leftNow: number;
}

async function open(
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream },
  options: { sink?: MessageSink; thinkingDelayMs?: number; logFile?: string | null } = {},
) {
  const hooks: Hooks = { ended: 0, leftNow: 0 };
  const sink = options.sink ?? core?.bridge;
  if (!sink) throw new Error("start a core or pass a sink");
  adapter = createConsoleAdapter(
    {
      ...io,
      user: "ana",
      greeting: "Terminal chat with a test assistant.",
      logFile: options.logFile ?? null,
      onEnd: () => hooks.ended++,
      onLeaveNow: () => hooks.leftNow++,
      ...(options.thinkingDelayMs === undefined ? {} : { thinkingDelayMs: options.thinkingDelayMs }),
    },
    {
      sink,
      memory: core?.store ?? new MemoryStore(),
      metrics: core?.metrics ?? new Metrics(),
      logger: memoryLogger().logger,
      feedback: core?.recorder ?? null,
    },
  );
  core?.adapters.set("console", adapter);
  await adapter.start();
  return hooks;
}

describe("terminal chat, plain output (not a terminal)", () => {
  it("chats through the full pipeline, keeps the conversation, and /new starts a fresh one", async () => {
    core = await startCore();
    const input = new PassThrough();
    const output = new PassThrough();
    const view = plainScreen(output);
    const hooks = await open({ input, output });

    input.write("hello there\n");
    await view.waitFor(/assistant> /);
    input.write("second\n");
    await view.waitFor(/assistant> /, 2);
    input.write("/new\n");
    input.write("third\n");
    await view.waitFor(/assistant> /, 3);

    const [first, second, third] = core.simulator.received;
    expect(first?.identity).toBe("user_id:console_local_ana");
    expect(second?.sessionId).toBe(first?.sessionId);
    expect(third?.sessionId).not.toBe(first?.sessionId);
    expect(view.text).toContain("Before this you said: “hello there”");
    expect(view.text).toContain("new conversation #2");
    // Markdown as it is, no escape codes, and the questions too: the transcript of a file or a pipe reads.
    expect(view.text).toContain("assistant> *(offline simulator)* You said");
    expect(view.text).toMatch(/^you> hello there\nassistant> /m);
    expect(view.text).toContain("you> /new\n(new conversation #2");
    expect(view.text).not.toContain("\u001b");

    input.write("/quit\n");
    await vi.waitFor(() => expect(hooks.ended).toBe(1));
    expect(view.text).not.toContain("waiting for");
  });

  it("shows no thinking line, however long the answer takes", async () => {
    core = await startCore({ simulator: { latencyMs: 400 } });
    const input = new PassThrough();
    const output = new PassThrough();
    const view = plainScreen(output);
    await open({ input, output }, { thinkingDelayMs: 50 });
    input.write("slow one\n");
    await view.waitFor(/assistant> /);
    expect(view.text).not.toContain("thinking");
  });

  it("says so when the bridge cannot take the message (an async sink answering unavailable)", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const view = plainScreen(output);
    const results: Array<SubmitResult | "unavailable"> = ["unavailable", "stopped"];
    const sink = { submit: async () => results.shift() } as unknown as MessageSink;
    const hooks = await open({ input, output }, { sink });
    input.write("one\n");
    await view.waitFor(/shared store is unreachable/);
    input.write("two\n");
    await view.waitFor(/shutting down; this message was not sent/);
    // Nothing is pending: leaving needs no wait.
    input.write("/quit\n");
    await vi.waitFor(() => expect(hooks.ended).toBe(1));
    expect(view.text).not.toContain("waiting for");
  });
});

describe("terminal chat in a terminal", () => {
  it("greets with where the logs go and shows a you> prompt", async () => {
    core = await startCore();
    const term = new FakeTerminal(100);
    await open(term, { logFile: "/tmp/bridge.log" });
    expect(term.screen).toEqual([
      "Terminal chat with a test assistant.",
      "Logs go to /tmp/bridge.log (LOG_LEVEL sets how much).",
      "Type a message and press Enter. /new starts a fresh conversation, /quit leaves, /help lists the",
      "commands.",
      "you>",
    ]);
  });

  it("wraps the greeting at word boundaries on a narrow terminal", async () => {
    core = await startCore();
    const term = new FakeTerminal(40);
    await open(term);
    expect(term.screen.slice(0, 4)).toEqual([
      "Terminal chat with a test assistant.",
      "Type a message and press Enter. /new",
      "starts a fresh conversation, /quit",
      "leaves, /help lists the commands.",
    ]);
  });

  it("keeps what the person is typing intact when an answer arrives", async () => {
    core = await startCore({ simulator: { latencyMs: 200 } });
    const term = new FakeTerminal();
    await open(term);
    await term.type("first question\r");
    await term.type("second while wai");
    await term.waitFor(/assistant> /);
    expect(term.cursorLine).toBe("you> second while wai");
    const screen = term.screen.join("\n");
    expect(screen).toContain("you> first question\nassistant> ");
    expect(screen).not.toMatch(/waiassistant/);
    await term.type("ting\r");
    await term.waitFor(/assistant> /, 2);
    expect(core.simulator.received.map((r) => r.body)).toEqual(["first question", "second while waiting"]);
  });

  it("keeps a typed line that wraps over two rows intact when an answer arrives", async () => {
    core = await startCore({ simulator: { latencyMs: 200 } });
    const term = new FakeTerminal(40);
    await open(term);
    await term.type("question\r");
    const draft = `${"abcd ".repeat(12)}end`;
    await term.type(draft);
    await term.waitFor(/assistant> /);
    const screen = term.screen;
    // (The screen drops spaces at the end of a row, so compare without spaces.)
    const squeeze = (text: string) => text.replace(/\s/g, "");
    expect(squeeze(screen.slice(-2).join(""))).toBe(squeeze(`you> ${draft}`));
    expect(screen.at(-3)).toContain("remember this.");
    expect(screen.filter((line) => line.includes("abcd"))).toHaveLength(2);
  });

  it("edits the line and recalls earlier messages with the arrow keys", async () => {
    core = await startCore();
    const term = new FakeTerminal();
    await open(term);
    await term.type("helo\u001b[D");
    await term.type("l\r");
    await term.waitFor(/assistant> /);
    await term.type("\u001b[A\r");
    await term.waitFor(/assistant> /, 2);
    expect(core.simulator.received.map((r) => r.body)).toEqual(["hello", "hello"]);
    expect(term.raw).not.toContain("^[[A");
  });

  it("shows the thinking line only after the delay, with seconds, and replaces it with the answer", async () => {
    core = await startCore({ simulator: { latencyMs: 1300 } });
    const term = new FakeTerminal();
    await open(term, { thinkingDelayMs: 100 });
    await term.type("slow question\r");
    await term.waitFor(/the assistant is thinking \(1 s\)/);
    expect(term.raw).toContain("the assistant is thinking (0 s)");
    await term.type("draft");
    await term.waitFor(/assistant> /);
    expect(term.screen.join("\n")).not.toContain("thinking");
    expect(term.screen.at(-1)).toBe("you> draft");
    expect(term.screen.filter((line) => line.startsWith("you> slow question"))).toHaveLength(1);
  });

  it("leaves no thinking line behind when a line that wraps is sent while it shows", async () => {
    core = await startCore({ simulator: { latencyMs: 600 } });
    const term = new FakeTerminal(40);
    await open(term, { thinkingDelayMs: 50 });
    await term.type("first\r");
    await term.waitFor(/thinking/);
    // 5 + 75 characters: exactly two rows of the terminal, then one more for the cursor.
    await term.type(`${"x".repeat(75)}\r`);
    await term.waitFor(/assistant> /, 2);
    expect(term.screen.join("\n")).not.toContain("thinking");
    expect(term.screen.filter((line) => line.startsWith("you> xxxxx"))).toHaveLength(1);
  });

  it("shows no thinking line for an answer faster than the delay", async () => {
    core = await startCore({ simulator: { latencyMs: 50 } });
    const term = new FakeTerminal();
    await open(term, { thinkingDelayMs: 1000 });
    await term.type("quick\r");
    await term.waitFor(/assistant> /);
    expect(term.raw).not.toContain("thinking");
  });

  it("renders Markdown and wraps long answers at word boundaries to the terminal's width", async () => {
    core = await startCore();
    const term = new FakeTerminal(80);
    await open(term);
    await term.type("#markdown\r");
    await term.waitFor(/a quote/);
    const screen = term.screen.join("\n");
    expect(screen).toContain("Markdown sample");
    expect(screen).toContain("Some bold, some italic");
    expect(screen).not.toContain("**bold**");
    expect(screen).toContain("link (https://www.twilio.com/docs)");
    expect(screen).not.toContain("```");
    await term.type("#long=600\r");
    await term.waitFor(/lazy dog\.\n+you>$/);
    const answer = term.screen.slice(
      term.screen.findIndex((line) => line.includes("Paragraph 1.")),
      -1,
    );
    expect(answer.length).toBeGreaterThan(8);
    for (const line of answer) expect(line.length).toBeLessThanOrEqual(80);
    // Broken at spaces only: every word on the screen is a whole word of the answer.
    const words = new Set(longAnswer(600).split(/\s+/));
    const shown = answer.join(" ").replace("assistant>", "").split(/\s+/).filter(Boolean);
    expect(shown.filter((word) => !words.has(word))).toEqual([]);
  });

  it("on /quit with an answer pending, says it waits, and a Ctrl-C then leaves at once", async () => {
    core = await startCore({ simulator: { latencyMs: 2000 } });
    const term = new FakeTerminal();
    const hooks = await open(term);
    await term.type("pending question\r");
    await vi.waitFor(() => expect(core?.simulator.received).toHaveLength(1));
    await term.type("/quit\r");
    // No Ctrl-C was pressed yet: the hint names a first one.
    await term.waitFor(/waiting for 1 answer… \(Ctrl-C to leave now\)/);
    expect(hooks.ended).toBe(1);
    expect(hooks.leftNow).toBe(0);
    // Nothing more can be typed: the prompt is gone.
    expect(term.screen.at(-1)).toBe("waiting for 1 answer… (Ctrl-C to leave now)");
    await term.type("\u0003");
    await vi.waitFor(() => expect(hooks.leftNow).toBe(1));
  });

  it("on Ctrl-C with an answer pending, says a second Ctrl-C leaves at once", async () => {
    core = await startCore({ simulator: { latencyMs: 2000 } });
    const term = new FakeTerminal();
    const hooks = await open(term);
    await term.type("pending question\r");
    await vi.waitFor(() => expect(core?.simulator.received).toHaveLength(1));
    await term.type("\u0003");
    await term.waitFor(/waiting for 1 answer… \(Ctrl-C again to leave now\)/);
    expect(hooks.ended).toBe(1);
  });

  it("on Ctrl-C with nothing pending, leaves at once without waiting", async () => {
    core = await startCore();
    const term = new FakeTerminal();
    const hooks = await open(term);
    await term.type("\u0003");
    await vi.waitFor(() => expect(hooks.ended).toBe(1));
    expect(hooks.leftNow).toBe(0);
    expect(term.raw).not.toContain("waiting for");
  });
});

describe("terminal chat commands", () => {
  it("answers unknown and misspelt /commands itself, never sending them to the assistant", async () => {
    core = await startCore();
    const term = new FakeTerminal(100);
    const hooks = await open(term);
    await term.type("/nwe\r");
    await term.waitFor(/\/nwe is not a command\. Did you mean \/new\? \/help lists them\./);
    await term.type("/quit now\r");
    await term.waitFor(/\/quit takes nothing after it: type \/quit alone\./);
    await term.type("/frobnicate\r");
    await term.waitFor(/\/frobnicate is not a command\. \/help lists them\./);
    await term.type("/help\r");
    await term.waitFor(/\nCommands:\n/);
    const screen = term.screen.join("\n");
    for (const command of ["/new", "/help", "/quit"])
      expect(screen).toMatch(new RegExp(`^  ${command} `, "m"));
    // Still chatting: none of that left, and none of it reached the assistant.
    expect(hooks.ended).toBe(0);
    expect(core.simulator.received).toEqual([]);
    // A path, or a line typed with a space first, is a message.
    await term.type("/etc/hosts holds what?\r");
    await term.waitFor(/assistant> /);
    await term.type(" /new is a command?\r");
    await term.waitFor(/assistant> /, 2);
    expect(core.simulator.received.map((r) => r.body)).toEqual([
      "/etc/hosts holds what?",
      "/new is a command?",
    ]);
  });

  it("lists /good and /bad in /help only when feedback is on, and refuses them when it is off", async () => {
    core = await startCore();
    const input = new PassThrough();
    const output = new PassThrough();
    const view = plainScreen(output);
    await open({ input, output });
    input.write("/help\n");
    await view.waitFor(/\n {2}\/quit {2}/);
    expect(view.text).not.toContain("/bad");
    input.write("/good\n");
    await view.waitFor(/\/good is off here: feedback is switched off with FEEDBACK=off/);
    expect(core.simulator.received).toEqual([]);
  });
});

describe("terminal chat against the demo triggers", () => {
  it("answers #429 after the bridge waited and retried, as README says", async () => {
    core = await startCore();
    const input = new PassThrough();
    const output = new PassThrough();
    const view = plainScreen(output);
    await open({ input, output });
    input.write("#429 please\n");
    await view.waitFor(/assistant> |notice> /);
    expect(view.text).toContain("assistant> *(offline simulator)* You said: “#429 please”");
    expect(core.simulator.received.map((r) => r.body)).toEqual(["#429 please", "#429 please"]);
  });
});

describe("terminal chat feedback", () => {
  it("rates the last answer with /good and /bad, once each answer, and records it at the simulator", async () => {
    core = await startCore({ feedback: true });
    const input = new PassThrough();
    const output = new PassThrough();
    const view = plainScreen(output);
    await open({ input, output });
    expect(view.text).toContain("/good or /bad");
    input.write("/help\n");
    await view.waitFor(/\n {2}\/bad \[what went wrong\] {2}rate the last answer 👎/);
    input.write("/good\n");
    await view.waitFor(/no answer to rate yet/);

    input.write("first\n");
    await view.waitFor(/assistant> /);
    input.write("/bad it missed the point\n");
    await view.waitFor(/Thanks for your feedback!/);
    input.write("/good\n");
    await view.waitFor(/already rated this answer/);

    const sessionId = core.simulator.received[0]?.sessionId;
    expect(core.simulator.feedbacks).toMatchObject([
      { session_id: sessionId, score: 0, text: "it missed the point" },
    ]);
  });
});
