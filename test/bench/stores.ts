/**
 * The bridge in Redis mode beside memory mode, in one run: the same bursts alternating on a private
 * redis-server (no persistence, so disk speed does not enter; nothing else uses it, so its command
 * counts are the bridge's alone), then one burst under MONITOR for the commands the bridge sends and
 * the duplicate window.
 */
import { startPrivateRedis } from "../support/redis.js";
import { comparisonRows, runsForJson } from "./comparison.js";
import { median } from "./load.js";
import { BURST, compareStores, INSTANT, log, MiB, REALISTIC, type RunResult } from "./measure.js";
import { CommandStats, measureCommands, total } from "./redis-commands.js";
import type { FigureRow } from "./report.js";
import type { SlackCounter } from "./slack-counter.js";

/** Targets of the issue: Redis mode's burst within 1.25 × memory mode's, ≤ 10 commands a message. */
const WALL_RATIO = 1.25;
const COMMANDS_PER_MESSAGE = 10;

/** Rows for the store table and what goes into latest.json. */
export async function measureStores(
  slack: SlackCounter,
  bridgeArgs: readonly string[],
): Promise<{ rows: FigureRow[]; json: Record<string, unknown> }> {
  const redis = await startPrivateRedis();
  const stats = await CommandStats.connect(redis.url);
  try {
    const executed: number[] = [];
    const hooks = {
      beforeRedisBursts: () => stats.reset(),
      afterRedisRun: async (run: RunResult) => {
        executed.push(total(await stats.read()) / (run.burstsMs.length * BURST));
      },
    };
    log(`${INSTANT.label}: Redis mode beside memory mode, alternating`);
    const instant = await compareStores(INSTANT, slack, redis.url, hooks, bridgeArgs);
    log(`${REALISTIC.label}: Redis mode beside memory mode, alternating`);
    const realistic = await compareStores(REALISTIC, slack, redis.url, hooks, bridgeArgs);
    log("Redis commands per message and the duplicate window (one burst under MONITOR)");
    const commands = await measureCommands(slack, redis.url, BURST);
    log(`commands sent per message: ${JSON.stringify(commands.sentByCommand)}`);
    log("the same on the OpenAI-compatible backend (the bridge keeps the history)");
    const openai = await measureCommands(slack, redis.url, BURST, "openai");
    log(`commands sent per message (OpenAI): ${JSON.stringify(openai.sentByCommand)}`);
    const historyTrips = openai.sentPerMessage - commands.sentPerMessage;

    const targets = { wallRatio: WALL_RATIO, p99PlusMs: null, reference: "memory" };
    const peak = {
      bridge: median(instant.redis.map((r) => r.peakRssBytes)) / MiB,
      baseline: median(instant.memory.map((r) => r.peakRssBytes)) / MiB,
    };
    const only = (
      figure: string,
      unit: FigureRow["unit"],
      value: number,
      target: string,
      pass: boolean | null,
    ): FigureRow => ({ figure, unit, bridge: value, baseline: null, ratio: null, target, pass });
    const window = commands.duplicateWindowMs;
    const rows: FigureRow[] = [
      ...comparisonRows("instant", instant, ["redis", "memory"], targets),
      {
        figure: `${BURST} threads: peak RSS (instant)`,
        unit: "MiB",
        ...peak,
        ratio: peak.bridge / peak.baseline,
        target: "—",
        pass: null,
      },
      ...comparisonRows("500 ms", realistic, ["redis", "memory"], targets),
      only(
        "Redis commands sent per answered message",
        "commands",
        commands.sentPerMessage,
        `≤ ${COMMANDS_PER_MESSAGE}`,
        commands.sentPerMessage <= COMMANDS_PER_MESSAGE,
      ),
      only("  the same, executed (inside the Lua scripts too)", "commands", median(executed), "—", null),
      only(
        "  extra round trips per message for the history (OpenAI)",
        "commands",
        historyTrips,
        "≤ 1",
        // (a sum of 1/burst steps: allow for rounding)
        historyTrips <= 1 + 1e-9,
      ),
      only("duplicate window (posted, not recorded): p50", "ms", window.p50, "—", null),
      only("  the same: p99 (under MONITOR: an upper bound)", "ms", window.p99, "—", null),
    ];
    return {
      rows,
      json: {
        redis: "private redis-server, no persistence",
        runs: { instant: runsForJson(instant), realistic: runsForJson(realistic) },
        executedPerMessage: executed,
        commands,
        openAiCommands: openai,
      },
    };
  } finally {
    stats.close();
    await redis.close();
  }
}
