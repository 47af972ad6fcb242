/**
 * `npm run drills`: faults thrown at the bridge child process over the real Slack HTTP path. Each
 * drill counts messages sent, answered, answered twice and lost (target: 0 lost, 0 twice). Prints a
 * table, writes bench-results/drills.json.
 */
import { envelope, messageEvent } from "../support/slack-events.js";
import { type DrillResult, openStage, type Stage } from "./drill-stage.js";
import { BENCH_CHANNEL, freshMention } from "./load.js";
import { formatTable, machine, writeResults } from "./report.js";
import type { SimulatorBehaviour } from "./simulator-process.js";
import { type SlackCounter, startSlackCounter } from "./slack-counter.js";

const MESSAGES = 300;
const ANSWER_TIMEOUT_MS = 60_000;
const DEADLINE_MS = 10 * 60_000;

const log = (line: string) => process.stderr.write(`[drills] ${line}\n`);

interface Delivery {
  body: Record<string, unknown>;
  retryNum?: number;
}

/** Sends deliveries with at most `inFlight` at once; returns the statuses that were not 200. */
async function deliver(stage: Stage, deliveries: readonly Delivery[], inFlight = 32): Promise<number[]> {
  const refused: number[] = [];
  let next = 0;
  const worker = async () => {
    for (let delivery = deliveries[next++]; delivery !== undefined; delivery = deliveries[next++]) {
      const status = await stage.sender.post(delivery.body, delivery.retryNum);
      if (status !== 200) refused.push(status);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return refused;
}

/** Fresh mentions, one delivery each; returns their thread keys and deliveries. */
function mentions(count: number): { threads: string[]; deliveries: Delivery[] } {
  const threads: string[] = [];
  const deliveries: Delivery[] = [];
  for (let i = 0; i < count; i++) {
    const { ts, body } = freshMention(i);
    threads.push(ts);
    deliveries.push({ body });
  }
  return { threads, deliveries };
}

/** Deterministic shuffle (a fixed LCG), so a failing order can be replayed. */
/** One mention per thread, each delivered once; resolves when every thread has its reply. */
async function mentionOnce(stage: Stage) {
  const { threads, deliveries } = mentions(MESSAGES);
  const refused = await deliver(stage, deliveries);
  await stage.allAnswered(threads, ANSWER_TIMEOUT_MS);
  return { threads, deliveries: deliveries.length, details: { refused } };
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  let seed = 12345;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Runs one drill on a fresh stage: send, wait for every thread, count. */
async function drill(
  slack: SlackCounter,
  name: string,
  setup: { behaviour?: SimulatorBehaviour; env?: Record<string, string> },
  body: (
    stage: Stage,
  ) => Promise<{ threads: string[]; deliveries: number; details?: Record<string, unknown> }>,
): Promise<DrillResult> {
  log(name);
  const stage = await openStage(slack, setup.behaviour ?? {}, setup.env ?? {});
  let run: Awaited<ReturnType<typeof body>>;
  let counts: Awaited<ReturnType<Stage["tally"]>>;
  let assistant: Awaited<ReturnType<Stage["close"]>>;
  try {
    run = await body(stage);
    counts = await stage.tally(name, run.threads, run.deliveries);
  } finally {
    assistant = await stage.close();
  }
  const details: Record<string, unknown> = { ...run.details, slack429s: slack.rateLimited, assistant };
  // Every event must have been taken (200); a drill that stops the bridge must see it exit 0.
  const refused = (details.refused as number[] | undefined) ?? [];
  const exitOk = !("exitCode" in details) || details.exitCode === 0;
  const pass = counts.lost === 0 && counts.answeredTwice === 0 && refused.length === 0 && exitOk;
  return { ...counts, details, pass };
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
      await drill(
        slack,
        "Slack chat.postMessage 429 (first 100 calls, Retry-After 1 s)",
        {},
        async (stage) => {
          stage.slack.rateLimit("chat.postMessage", 100, 1);
          return mentionOnce(stage);
        },
      ),
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
      String(r.answeredTwice),
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
