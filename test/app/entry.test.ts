import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { envelope, mentionEvent, postSigned } from "../support/slack-events.js";
import { type Backends, SIGNING_SECRET, startBackends } from "./support.js";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));
const TSX = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

let backends: Backends | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill("SIGKILL");
  await backends?.close();
  child = undefined;
  backends = undefined;
});

/** Runs the real entry point (from an empty folder, so no .env is read) and collects its output. */
function run(env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), "bridge-entry-"));
  const process_ = spawn(process.execPath, ["--import", TSX, MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = process_;
  let stdout = "";
  let stderr = "";
  process_.stdout?.on("data", (chunk) => {
    stdout += String(chunk);
  });
  process_.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => process_.on("exit", (code) => resolve(code)));
  const logLines = () =>
    stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    process: process_,
    exited,
    logLines,
    output: () => stdout + stderr,
    /** Resolves with the URL the HTTP server reports once it listens. */
    async url(): Promise<string> {
      for (let i = 0; i < 200; i++) {
        const line = logLines().find((l) => l.msg === "HTTP server listening");
        if (line) return String(line.url);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the bridge did not start:\n${stdout}${stderr}`);
    },
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("the real entry point", () => {
  it("on SIGTERM (twice) finishes the three answers in flight, refuses new events for redelivery, exits 0", async () => {
    backends = await startBackends({ latencyMs: 1500 });
    const bridge = run({ ...backends.env, SHUTDOWN_GRACE_MS: "10000", LOG_LEVEL: "info" });
    const url = await bridge.url();
    await until(async () => (await fetch(`${url}/readyz`)).status === 200, "readiness");

    for (let i = 0; i < 3; i++) {
      const sent = await postSigned(`${url}/slack/events`, envelope(mentionEvent()), {
        secret: SIGNING_SECRET,
      });
      expect(sent.status).toBe(200);
    }
    await until(() => backends?.simulator.received.length === 3, "three assistant calls in flight");
    expect(backends.slack.callsTo("chat.postMessage")).toHaveLength(0);

    bridge.process.kill("SIGTERM");
    bridge.process.kill("SIGTERM");
    await until(async () => (await fetch(`${url}/readyz`)).status === 503, "readiness to drop");
    const late = await postSigned(`${url}/slack/events`, envelope(mentionEvent()), {
      secret: SIGNING_SECRET,
    });
    expect(late.status).toBe(503);

    expect(await bridge.exited).toBe(0);
    const posted = backends.slack.callsTo("chat.postMessage").map((call) => call.args.text ?? "");
    expect(posted).toHaveLength(3);
    for (const text of posted) expect(text).toContain("You said");
    expect(backends.simulator.received).toHaveLength(3);
  });

  it("on a busy PORT, says so in one line and exits 1", async () => {
    backends = await startBackends();
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve));
    const address = busy.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const bridge = run({ ...backends.env, PORT: String(port) });
      expect(await bridge.exited).toBe(1);
      expect(bridge.output()).toContain(
        `Port ${port} is already in use (is another bridge running?). Set PORT to a free port.`,
      );
    } finally {
      busy.close();
    }
  });

  it("stops with a message naming the bad variable", async () => {
    const bridge = run({
      TWILIO_ACCOUNT_SID: "AC123",
      TWILIO_AUTH_TOKEN: "x",
      TWILIO_ASSISTANT_ID: "aia_asst_1",
    });
    expect(await bridge.exited).toBe(1);
    expect(bridge.output()).toContain("TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits");
  });

  it("with nothing configured and no terminal, exits non-zero and lists what to set", async () => {
    const bridge = run({});
    expect(await bridge.exited).toBe(2);
    expect(bridge.output()).toContain("SLACK_BOT_TOKEN");
    expect(bridge.output()).toContain("DISCORD_BOT_TOKEN");
    // Twilio credentials are not what is missing: the simulator answers without them.
    expect(bridge.output()).toContain("Twilio credentials are optional");
  });

  it("without a terminal, prints a misspelt variable's warning as text before Nothing to run", async () => {
    const bridge = run({ SLAK_BOT_TOKEN: "xoxb-typo-value" });
    expect(await bridge.exited).toBe(2);
    const output = bridge.output();
    const warning =
      "Warning: SLAK_BOT_TOKEN is not a variable the bridge reads; did you mean SLACK_BOT_TOKEN?\n";
    expect(output).toContain(warning);
    expect(output.indexOf(warning)).toBeLessThan(output.indexOf("Nothing to run"));
    expect(bridge.logLines()).toEqual([]);
    expect(output).not.toContain("xoxb-typo-value");
  });

  it("with a platform running, warns once at start-up in the log about a variable it does not read", async () => {
    backends = await startBackends();
    const bridge = run({ ...backends.env, SLACK_BOT_TOKN: "xoxb-typo-value" });
    await bridge.url();
    const warnings = bridge.logLines().filter((line) => line.level === 40);
    expect(warnings.map((line) => line.msg)).toEqual([
      "SLACK_BOT_TOKN is not a variable the bridge reads; did you mean SLACK_BOT_TOKEN?",
    ]);
    expect(bridge.output()).not.toContain("xoxb-typo-value");
  });

  it("never echoes a password inside a URL in a configuration error", async () => {
    const bridge = run({ TWILIO_ASSISTANTS_URL: "ftp://bridge:hunter2@proxy.example.com" });
    expect(await bridge.exited).toBe(1);
    expect(bridge.output()).toContain(
      'TWILIO_ASSISTANTS_URL must be an http(s) URL, got "ftp://***@proxy.example.com"',
    );
    expect(bridge.output()).not.toContain("hunter2");
  });
});
