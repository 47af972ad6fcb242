/**
 * The child processes of the bench and the drills: the bridge as in production, the baseline Bolt app
 * and the simulator. Every child is killed when this process exits, however it exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SimulatorAnnouncement, SimulatorBehaviour, SimulatorCounts } from "./simulator-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BRIDGE_MAIN = join(ROOT, "dist/src/main.js");
/**
 * The node flags of the Procfile's `web` command (the V8 heap cap). Both apps get them, so the
 * comparison measures what the bridge's code adds, not a flag.
 */
export const PRODUCTION_NODE_FLAGS = procfileNodeFlags(readFileSync(join(ROOT, "Procfile"), "utf8"));
export const BASELINE_MAIN = join(ROOT, "test/bench/baseline.mjs");
const SIMULATOR_MAIN = join(ROOT, "test/bench/simulator-process.ts");
/** By URL: the children run from an empty folder, where a bare `--import tsx` would not resolve. */
export const TSX = import.meta.resolve("tsx");
/** The entry point's source, run through tsx (the tests need no build). */
export const BRIDGE_SOURCE_MAIN = join(ROOT, "src/main.ts");

/** An empty working folder for every child, so no developer `.env` is read. */
const EMPTY_CWD = mkdtempSync(join(tmpdir(), "bridge-bench-"));
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
  rmSync(EMPTY_CWD, { recursive: true, force: true });
});

export interface Child {
  pid: number;
  /** performance.now() just before spawn. */
  spawnedAt: number;
  /** The first stdout line `announce` accepted. */
  announcement: Record<string, unknown>;
  exited: Promise<number | null>;
  /** stdout lines after the announcement, when kept (`keepLines`). */
  lines: string[];
  /** The end of stderr, for error messages. */
  stderrTail(): string;
  /** SIGTERM, then SIGKILL after `killAfterMs`; resolves with the exit code. */
  stop(killAfterMs?: number): Promise<number | null>;
  /** Sends `signal` now (SIGKILL: a crash) and resolves once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface SpawnOptions {
  args: string[];
  env: Record<string, string>;
  /** Picks the announcement (the URL line) out of a stdout line; null: not this one. */
  announce: (line: string) => Record<string, unknown> | null;
  /** Keep stdout lines after the announcement (few lines only: the simulator's counts). */
  keepLines?: boolean;
  /** An IPC channel, so the child notices when this process dies. */
  ipc?: boolean;
  timeoutMs?: number;
}

/**
 * Spawns `node args…` from an empty folder, with only `env` and PATH,
 * and resolves once it printed its announcement. Stdout is drained afterwards: a full pipe would
 * block the child.
 */
export function spawnNode(options: SpawnOptions): Promise<Child> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, options.args, {
    cwd: EMPTY_CWD,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["ignore", "pipe", "pipe", ...(options.ipc ? (["ipc"] as const) : [])],
  });
  live.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const lines: string[] = [];
  const stderrTail = () => stderr;
  const stop = async (killAfterMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  return new Promise<Child>((resolve, reject) => {
    let buffered = "";
    let announced = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${options.args.at(-1)} did not start in time:\n${stderr}`));
    }, options.timeoutMs ?? 15_000);
    void exited.then((code) => {
      if (announced) return;
      clearTimeout(timer);
      reject(new Error(`${options.args.at(-1)} exited with ${code} before it started:\n${stderr}`));
    });
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf("\n");
        if (announced) {
          lines.push(line);
          continue;
        }
        const announcement = options.announce(line);
        if (announcement === null) continue;
        announced = true;
        clearTimeout(timer);
        if (!options.keepLines) {
          // From here on the bytes are only drained, never split or parsed (the bridge logs a line
          // per message; parsing them would load the generator, not the bridge).
          child.stdout?.off("data", onData);
          child.stdout?.resume();
        }
        resolve({
          pid: child.pid ?? -1,
          spawnedAt,
          announcement,
          exited,
          lines,
          stderrTail,
          stop,
          async kill(signal) {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            await exited;
          },
        });
        return;
      }
    };
    child.stdout?.on("data", onData);
  });
}

/** The JSON log line the bridge (and the baseline, in the same shape) prints once it listens. */
export function listeningLine(line: string): Record<string, unknown> | null {
  if (!line.includes("HTTP server listening")) return null;
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    return typeof parsed.url === "string" ? parsed : null;
  } catch {
    return null;
  }
}

export interface RunningSimulatorProcess {
  child: Child;
  url: string;
  env: Record<string, string>;
  /** The variables that point a bridge at its Chat Completions side instead (ASSISTANT_BACKEND=openai). */
  openAiEnv: Record<string, string>;
  /** Stops it and returns its counts. */
  stop(): Promise<SimulatorCounts | null>;
}

/** Starts the simulator child; `env` holds the TWILIO_* variables that point a bridge at it. */
export async function startSimulatorProcess(
  behaviour: SimulatorBehaviour = {},
): Promise<RunningSimulatorProcess> {
  const child = await spawnNode({
    args: ["--import", TSX, SIMULATOR_MAIN],
    env: { BENCH_SIMULATOR: JSON.stringify(behaviour) },
    announce: (line) => (line.startsWith('{"') && line.includes('"url"') ? JSON.parse(line) : null),
    keepLines: true,
    ipc: true,
  });
  const announced = child.announcement as unknown as SimulatorAnnouncement;
  return {
    child,
    url: announced.url,
    env: {
      TWILIO_ACCOUNT_SID: announced.accountSid,
      TWILIO_AUTH_TOKEN: announced.authToken,
      TWILIO_ASSISTANT_ID: announced.assistantId,
      TWILIO_ASSISTANTS_URL: announced.url,
    },
    openAiEnv: {
      ASSISTANT_BACKEND: "openai",
      OPENAI_BASE_URL: `${announced.url}/v1`,
      OPENAI_API_KEY: announced.openAiKey,
      OPENAI_MODEL: "bench",
    },
    async stop() {
      await child.stop();
      const last = child.lines.findLast((line) => line.startsWith("{"));
      return last ? (JSON.parse(last) as SimulatorCounts) : null;
    },
  };
}

export interface MemoryStatus {
  /** Peak resident set size (VmHWM), bytes. */
  peakRss: number;
  /** Current resident set size (VmRSS), bytes. */
  rss: number;
}

/** The flags between `node` and the entry point in a Procfile's `web: node … dist/src/main.js`. */
export function procfileNodeFlags(procfile: string): string[] {
  const web = /^web:\s*node\s+(.*?)\s*dist\/src\/main\.js\s*$/m.exec(procfile);
  if (!web) throw new Error("the Procfile has no `web: node … dist/src/main.js` line");
  return (web[1] ?? "").split(/\s+/).filter(Boolean);
}

/** Reads VmHWM and VmRSS of a process from /proc (Linux). */
export function memoryOf(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { peakRss: kb("VmHWM") * 1024, rss: kb("VmRSS") * 1024 };
}

/** Polls `url` until it answers 200; returns performance.now() at that answer. */
export async function waitFor200(url: string, timeoutMs = 15_000, everyMs = 5): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now();
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
