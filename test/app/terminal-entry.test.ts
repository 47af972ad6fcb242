import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const TSX = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

/** util-linux `script` gives the child a pseudo-terminal; without it this file is skipped. */
const hasScript = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});

/** `npm start` in a terminal, nothing configured: the real entry point on a pseudo-terminal. */
function chat(env: Record<string, string> = {}, redirect = "") {
  const dir = mkdtempSync(join(tmpdir(), "bridge-terminal-"));
  const command = `stty cols 100; exec "${process.execPath}" --import ${TSX} ${MAIN}${redirect}`;
  child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", TERM: "dumb", TMPDIR: dir, SIMULATOR_LATENCY_MS: "0", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child?.on("exit", (code) => resolve(code)));
  return {
    dir,
    exited,
    output: () => output,
    type: (text: string) => child?.stdin?.write(text),
    async waitFor(pattern: RegExp): Promise<void> {
      for (let i = 0; i < 300 && !pattern.test(output); i++) await new Promise((r) => setTimeout(r, 50));
      if (!pattern.test(output)) throw new Error(`timed out waiting for ${pattern}:\n${output}`);
    },
  };
}

describe.skipIf(!hasScript)("the terminal chat from the real entry point", () => {
  it("keeps logs out of the chat (in the file the greeting names) and warns about a misspelt variable", async () => {
    const session = chat({ SLACK_BOT_TOKN: "xoxb-typo", SLAK_BOT_TOKEN: "xoxb-typo" });
    await session.waitFor(/you> /);
    session.type("#fail\r");
    await session.waitFor(/notice> Sorry, the assistant could not answer/);
    session.type("/quit\r");
    expect(await session.exited).toBe(0);

    const screen = session.output();
    expect(screen).toContain(
      "Warning: SLACK_BOT_TOKN is not a variable the bridge reads; did you mean SLACK_BOT_TOKEN?",
    );
    expect(screen).toContain(
      "Warning: SLAK_BOT_TOKEN is not a variable the bridge reads; did you mean SLACK_BOT_TOKEN?",
    );
    // One file per checkout (a hash of the working directory), in the temporary folder.
    const logFile = /Logs go to (\S+) /.exec(screen)?.[1] ?? "";
    expect(logFile).toMatch(new RegExp(`^${session.dir}/twilio-assistant-bridge-[0-9a-f]{8}\\.log$`));
    expect(screen).not.toMatch(/ERROR|WARN|\n\s+at /);
    const log = readFileSync(logFile, "utf8");
    expect(log).toContain("The simulator was asked to fail (#fail).");
    // Dated lines: the file outlives the day it was started.
    expect(log).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] /);
  });

  it("with its output in a file (npm start > chat.txt), writes a transcript with the questions", async () => {
    const session = chat({}, " > chat.txt");
    const transcript = () => {
      try {
        return readFileSync(join(session.dir, "chat.txt"), "utf8");
      } catch {
        return "";
      }
    };
    for (let i = 0; i < 300 && !transcript().includes("Type a message"); i++) await sleep(50);
    session.type("hello there\r");
    for (let i = 0; i < 300 && !transcript().includes("assistant> "); i++) await sleep(50);
    session.type("/quit\r");
    expect(await session.exited).toBe(0);
    expect(transcript()).toMatch(/\nyou> hello there\nassistant> \*\(offline simulator\)\* You said/);
    expect(transcript()).toContain("you> /quit");
    expect(transcript()).not.toContain("\u001b");
  });

  it("a second Ctrl-C with an answer pending leaves at once, with exit code 130", async () => {
    const session = chat({ SIMULATOR_LATENCY_MS: "20000" });
    await session.waitFor(/you> /);
    session.type("still waiting\r");
    await new Promise((resolve) => setTimeout(resolve, 300));
    session.type("\u0003");
    await session.waitFor(/waiting for 1 answer… \(Ctrl-C again to leave now\)/);
    session.type("\u0003");
    expect(await session.exited).toBe(130);
  });
});
