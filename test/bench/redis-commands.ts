/**
 * What the Redis mode costs Redis: commands per answered message (INFO commandstats, and MONITOR for
 * the commands the bridge itself sends), and the one duplicate window: how long a posted answer is
 * not yet recorded as posted (a replica dying then has it posted again by the next one).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { createClient } from "redis";
import { appEnv, startApp } from "./apps.js";
import { EventSender, quantile, sendMentions } from "./load.js";
import { startSimulatorProcess } from "./processes.js";
import type { SlackCounter } from "./slack-counter.js";

/** Commands that are the bench's own reading of the server, not the bridge's. */
const OWN_COMMANDS = new Set(["info", "config|resetstat", "config", "monitor"]);

const statsClient = (url: string) => createClient({ url });

/** The server's command counts: reset before a burst, read after it. */
export class CommandStats {
  readonly #client: ReturnType<typeof statsClient>;

  private constructor(client: ReturnType<typeof statsClient>) {
    this.#client = client;
  }

  static async connect(url: string): Promise<CommandStats> {
    const client = statsClient(url);
    await client.connect();
    return new CommandStats(client);
  }

  async reset(): Promise<void> {
    await this.#client.configResetStat();
  }

  /** Calls per command since the reset (commands run inside Lua scripts included), the bench's own left out. */
  async read(): Promise<Map<string, number>> {
    const info = await this.#client.info("commandstats");
    const counts = new Map<string, number>();
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      const [, name = "", calls = "0"] = match;
      if (!OWN_COMMANDS.has(name)) counts.set(name, Number(calls));
    }
    return counts;
  }

  close(): void {
    this.#client.destroy();
  }
}

/** The sum of a command count map. */
export function total(counts: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const calls of counts.values()) sum += calls;
  return sum;
}

export interface CommandFigures {
  messages: number;
  /** Commands Redis executed per answered message, commands inside the Lua scripts included. */
  executedPerMessage: number;
  /** Commands the bridge sent per answered message (round trips; a script call is one). */
  sentPerMessage: number;
  /** The commands sent, per answered message, by name. */
  sentByCommand: Record<string, number>;
  /** Slack has the answer, Redis does not yet know it was posted: ms, over every message of the burst. */
  duplicateWindowMs: { p50: number; p99: number; max: number; samples: number };
}

/** The SHA the store calls complete.lua by (scripts.ts computes it the same way). */
const COMPLETE_SHA = createHash("sha1")
  .update(readFileSync(new URL("../../src/state/lua/complete.lua", import.meta.url), "utf8"))
  .digest("hex");

/**
 * One burst of `burst` fresh threads through a bridge in Redis mode, with MONITOR on: MONITOR slows
 * Redis down, so this run is kept apart from the timed ones and its window is an upper bound.
 */
export async function measureCommands(
  slack: SlackCounter,
  redisUrl: string,
  burst: number,
  /** `openai`: the bridge keeps each session's history (one more read per message). */
  backend: "twilio" | "openai" = "twilio",
): Promise<CommandFigures> {
  const simulator = await startSimulatorProcess();
  slack.reset();
  const app = await startApp("bridge", appEnv(simulator.env, slack), {
    ...(backend === "openai" ? simulator.openAiEnv : {}),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `{bench-commands-${backend}}:`,
  });
  const sender = new EventSender(app.url);
  const stats = await CommandStats.connect(redisUrl);
  const posted = new Map<string, number>();
  try {
    const common = { sender, counter: slack, timeoutMs: 120_000 };
    await sendMentions({ ...common, count: 300, inFlight: 16 });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const monitor = await startMonitor(redisUrl);
    await stats.reset();
    slack.onPost = (post) => posted.set(post.threadTs, performance.timeOrigin + post.at);
    await sendMentions({ ...common, count: burst, inFlight: 64 });
    // The last completes follow the last post by a round trip.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const lines = await monitor.stop();
    const executed = total(await stats.read());

    const sentByCommand: Record<string, number> = {};
    const windows: number[] = [];
    for (const line of lines) {
      const parsed = /^\+?(\d+\.\d+) \[\d+ ([^\]]+)\] "([^"]+)"(.*)$/.exec(line);
      if (!parsed || parsed[2] === "lua") continue;
      const [, at = "0", , command = "", rest = ""] = parsed;
      const name = command.toLowerCase();
      if (OWN_COMMANDS.has(name)) continue;
      sentByCommand[name] = (sentByCommand[name] ?? 0) + 1 / burst;
      if (name !== "evalsha" || !rest.startsWith(` "${COMPLETE_SHA}"`)) continue;
      const session = /s:[^"]*\/([^"/]+)"/.exec(rest)?.[1];
      const postedAt = session === undefined ? undefined : posted.get(session);
      if (postedAt !== undefined) windows.push(Number(at) * 1000 - postedAt);
    }
    const sent = Object.values(sentByCommand).reduce((a, b) => a + b, 0);
    return {
      messages: burst,
      executedPerMessage: executed / burst,
      sentPerMessage: sent,
      sentByCommand: Object.fromEntries(
        Object.entries(sentByCommand)
          .sort((a, b) => b[1] - a[1])
          .map(([name, perMessage]) => [name, Math.round(perMessage * 100) / 100]),
      ),
      duplicateWindowMs: {
        p50: quantile(windows, 0.5),
        p99: quantile(windows, 0.99),
        max: Math.max(...windows),
        samples: windows.length,
      },
    };
  } finally {
    slack.onPost = null;
    stats.close();
    sender.close();
    await app.child.stop();
    await simulator.stop();
  }
}

/** A raw MONITOR connection (node-redis would parse every line into objects: too slow for a burst). */
async function startMonitor(url: string): Promise<{ stop(): Promise<string[]> }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port || 6379), hostname);
  const lines: string[] = [];
  let buffered = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split("\r\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.write("MONITOR\r\n");
      resolve();
    });
  });
  // MONITOR answers +OK, then one line per command.
  while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    async stop() {
      socket.destroy();
      return lines.slice(1);
    },
  };
}
