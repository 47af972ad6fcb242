/**
 * `npm run drills`: faults thrown at the bridge child process over the real Slack HTTP path. Each
 * drill counts messages sent, answered, answered twice and lost (target: 0 lost, 0 twice). Prints a
 * table, writes bench-results/drills.json.
 */
import { envelope, messageEvent } from "../support/slack-events.js";
import {
  ANSWER_TIMEOUT_MS,
  type Delivery,
  type DrillResult,
  deliver,
  drill,
  log,
  MESSAGES,
  mentions,
  type Stage,
  shuffled,
} from "./drill-stage.js";
import { BENCH_CHANNEL } from "./load.js";
import { replicaDrills } from "./replica-drills.js";
import { formatTable, machine, writeResults } from "./report.js";
import { type SlackCounter, startSlackCounter } from "./slack-counter.js";
import { slackFaultDrills } from "./slack-fault-drills.js";

const DEADLINE_MS = 15 * 60_000;
/** `npm run drills -- --replicas`: only the drills of several replicas on Redis. */
const REPLICAS_ONLY = process.argv.includes("--replicas");

/** One mention per thread, each delivered once; resolves when every thread has its reply. */
async function mentionOnce(stage: Stage) {
  const { threads, deliveries } = mentions(MESSAGES);
  const refused = await deliver(stage, deliveries);
  await stage.allAnswered(threads, ANSWER_TIMEOUT_MS);
  return { threads, deliveries: deliveries.length, details: { refused } };
}

/** The drills of one bridge process in memory mode. */
async function singleProcessDrills(slack: SlackCounter, results: DrillResult[]): Promise<void> {
  results.push(
    await drill(slack, "every event twice (+ app_mention/message twins)", {}, async (stage) => {
      const { threads, deliveries } = mentions(MESSAGES);
      const copies: Delivery[] = [];
      deliveries.forEach((delivery, i) => {
        // Slack's retry: the same envelope (same event_id) with X-Slack-Retry-Num.
        copies.push(delivery, { body: delivery.body, retryNum: 1 });
        if (i % 3 === 0) {
          // The `message` twin of the mention: same channel and ts, another event id.
          const mention = delivery.body.event as Record<string, unknown>;
          const twin = envelope(
            messageEvent({
              channel: BENCH_CHANNEL,
              user: String(mention.user),
              ts: String(mention.ts),
              text: String(mention.text),
            }),
          );
          copies.push({ body: twin }, { body: twin, retryNum: 1 });
        }
      });
      const refused = await deliver(stage, shuffled(copies));
      await stage.allAnswered(threads, ANSWER_TIMEOUT_MS);
      return { threads, deliveries: copies.length, details: { refused } };
    }),
  );
  results.push(
    await drill(
      slack,
      "30% of assistant calls 429 (Retry-After 1 s)",
      { behaviour: { rateLimitedShare: 0.3, retryAfterSeconds: 1 } },
      async (stage) => {
        const run = await mentionOnce(stage);
        return { ...run, details: { ...run.details, maxRetries: "3 (default)" } };
      },
    ),
  );
  results.push(
    await drill(
      slack,
      "5% of assistant calls hang (timeout 2 s)",
      { behaviour: { hangEvery: 20 }, env: { ASSISTANT_TIMEOUT_MS: "2000" } },
      mentionOnce,
    ),
  );
  results.push(
    await drill(slack, "Slack chat.postMessage 429 (first 100 calls, Retry-After 1 s)", {}, async (stage) => {
      stage.slack.rateLimit("chat.postMessage", 100, 1);
      return mentionOnce(stage);
    }),
  );
  results.push(
    await drill(
      slack,
      "SIGTERM with a backlog (20 calls/s, 200 ms assistant, grace 1.5 s)",
      {
        behaviour: { latencyMs: 200 },
        env: {
          ASSISTANT_RATE_LIMIT: "20",
          ASSISTANT_RATE_INTERVAL_MS: "1000",
          ASSISTANT_CONCURRENCY: "10",
          SHUTDOWN_GRACE_MS: "1500",
        },
      },
      async (stage) => {
        const { threads, deliveries } = mentions(MESSAGES);
        // Every event is taken before the signal: the drill is about what the bridge had accepted.
        const refused = await deliver(stage, deliveries);
        const answeredBefore = async (count: number) => {
          while (stage.slack.threads < count) await new Promise((resolve) => setTimeout(resolve, 20));
        };
        await Promise.race([answeredBefore(30), new Promise((resolve) => setTimeout(resolve, 10_000))]);
        const atSignal = stage.slack.threads;
        const signalled = performance.now();
        const exitCode = await stage.app.child.stop(20_000);
        const exitMs = Math.round(performance.now() - signalled);
        return {
          threads,
          deliveries: deliveries.length,
          details: { refused, answeredAtSignal: atSignal, exitCode, exitMs },
        };
      },
    ),
  );
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log(`stopped: the drills took longer than ${DEADLINE_MS / 60_000} minutes`);
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();
  const slack = await startSlackCounter();
  const results: DrillResult[] = [];
  try {
    if (!REPLICAS_ONLY) {
      await singleProcessDrills(slack, results);
      results.push(...(await slackFaultDrills(slack)));
    }
    results.push(...(await replicaDrills(slack)));
  } finally {
    await slack.close();
    clearTimeout(deadline);
  }

  const table = formatTable(
    ["drill", "sent", "deliveries", "answered", "twice", "lost", "posts", "result"],
    results.map((r) => [
      r.drill,
      String(r.sent),
      String(r.deliveries),
      String(r.answered),
      r.samePostTwice > 0 ? `${r.answeredTwice} (${r.samePostTwice} same post)` : String(r.answeredTwice),
      String(r.lost),
      Object.entries(r.posts)
        .map(([kind, count]) => `${count} ${kind}`)
        .join(", "),
      r.pass ? "pass" : "FAIL",
    ]),
  );
  process.stdout.write(`\n${table}\n\n`);
  for (const r of results) process.stdout.write(`${r.drill}: ${JSON.stringify(r.details)}\n`);
  const path = writeResults("drills.json", {
    date: new Date().toISOString(),
    machine: machine(),
    drills: results,
  });
  log(`results written to ${path}`);
  if (results.some((r) => !r.pass)) process.exitCode = 1;
}

process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));
main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
