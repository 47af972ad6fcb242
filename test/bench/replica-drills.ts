/**
 * The drills of several replicas on one Redis (a private redis-server of the drills' own, with an
 * append-only file fsynced on every write, so that restarting it is a fault it survives): every retry
 * sent to the other replica, a replica SIGKILLed in a backlog, Redis restarted mid-run.
 */
import { startPrivateRedis } from "../support/redis.js";
import { appEnv, startApp } from "./apps.js";
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
import { startSimulatorProcess, waitFor200 } from "./processes.js";
import type { SlackCounter } from "./slack-counter.js";

/** A backlog the two replicas work through in several seconds, so that a fault lands inside it. */
const BACKLOG = {
  ASSISTANT_RATE_LIMIT: "20",
  ASSISTANT_RATE_INTERVAL_MS: "1000",
  ASSISTANT_CONCURRENCY: "10",
};

/** Resolves once `count` threads have a post, or after `timeoutMs`. */
async function answered(stage: Stage, count: number, timeoutMs = 20_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (stage.slack.threads < count && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return stage.slack.threads;
}

/** Every accepted mention goes to replica i % 2. */
function alternating(count: number): { threads: string[]; deliveries: Delivery[] } {
  const { threads, deliveries } = mentions(count);
  return { threads, deliveries: deliveries.map((delivery, i) => ({ ...delivery, to: i % 2 })) };
}

/** Runs the replica drills, each on a fresh stage of two bridge processes and a fresh key prefix. */
export async function replicaDrills(slack: SlackCounter): Promise<DrillResult[]> {
  const redis = await startPrivateRedis({ persistent: true });
  let run = 0;
  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: redis.url,
    REDIS_PREFIX: `{drill-${++run}}:`,
    ...extra,
  });
  const results: DrillResult[] = [];
  try {
    results.push(
      await drill(
        slack,
        "two replicas, every Slack retry sent to the other one",
        { env: env(), replicas: 2 },
        async (stage) => {
          const { threads, deliveries } = alternating(MESSAGES);
          const copies = deliveries.flatMap((delivery) => [
            delivery,
            { ...delivery, retryNum: 1, to: 1 - (delivery.to ?? 0) },
          ]);
          const refused = await deliver(stage, shuffled(copies));
          await stage.allAnswered(threads, ANSWER_TIMEOUT_MS);
          return { threads, deliveries: copies.length, details: { refused } };
        },
      ),
    );
    results.push(
      await drill(
        slack,
        "SIGKILL of one replica in a backlog (20 calls/s, 200 ms assistant, lease 3 s)",
        {
          behaviour: { latencyMs: 200 },
          env: env({ ...BACKLOG, REDIS_LEASE_MS: "3000" }),
          replicas: 2,
          duplicateWindow: true,
        },
        async (stage) => {
          const { threads, deliveries } = alternating(MESSAGES);
          // Every event is taken before the kill: the drill is about what the replicas had accepted.
          const refused = await deliver(stage, deliveries);
          const atKill = await answered(stage, 30);
          const killed = performance.now();
          await stage.apps[0]?.child.kill("SIGKILL");
          await stage.allAnswered(threads, ANSWER_TIMEOUT_MS);
          const lastMs = Math.round(performance.now() - killed);
          return {
            threads,
            deliveries: deliveries.length,
            details: { refused, answeredAtKill: atKill, leaseMs: 3000, lastReplyAfterKillMs: lastMs },
          };
        },
      ),
    );
    results.push(
      await drill(
        slack,
        "Redis restarted mid-run (SIGKILL, down 2 s, AOF fsync always)",
        { behaviour: { latencyMs: 200 }, env: env(BACKLOG), replicas: 2 },
        async (stage) => {
          const { threads, deliveries } = alternating(MESSAGES);
          const refused = await deliver(stage, deliveries);
          const atRestart = await answered(stage, 30);
          await redis.stop("SIGKILL");
          // Events while Redis is down are refused (503): Slack delivers them again later.
          const down = alternating(20);
          const refusedWhileDown = await deliver(stage, down.deliveries);
          await new Promise((resolve) => setTimeout(resolve, 2000));
          await redis.start();
          // Slack's retry comes a minute later; by then both replicas are connected again.
          await Promise.all(stage.apps.map((app) => waitFor200(`${app.url}/readyz`, 30_000, 50)));
          const redelivered = down.deliveries.map((delivery) => ({ ...delivery, retryNum: 1 }));
          const refusedAgain = await deliver(stage, redelivered);
          const all = [...threads, ...down.threads];
          await stage.allAnswered(all, ANSWER_TIMEOUT_MS);
          return {
            threads: all,
            deliveries: deliveries.length + down.deliveries.length + redelivered.length,
            details: {
              refused: [...refused, ...refusedAgain],
              answeredAtRestart: atRestart,
              refusedWhileDown: refusedWhileDown.length,
              sentWhileDown: down.deliveries.length,
            },
          };
        },
      ),
    );
  } finally {
    await redis.close();
  }
  results.push(await evictingRedisDrill(slack));
  return results;
}

/**
 * A Redis whose maxmemory-policy is allkeys-lru: the bridge must refuse to start, naming the policy
 * and noeviction; with REDIS_ALLOW_EVICTION=true it starts, ready, with the warning on /readyz.
 */
async function evictingRedisDrill(slack: SlackCounter): Promise<DrillResult> {
  const name = "Redis with maxmemory-policy allkeys-lru";
  log(name);
  const redis = await startPrivateRedis({ extraArgs: ["--maxmemory-policy", "allkeys-lru"] });
  // An assistant backend, so that the bridge that is let start can report ready.
  const simulator = await startSimulatorProcess();
  const env = appEnv(simulator.env, slack);
  try {
    const started = performance.now();
    const refusal = await startApp("bridge", env, { REDIS_URL: redis.url }).then(
      async (app) => {
        await app.child.stop(5_000);
        return "started";
      },
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    const refusedMs = Math.round(performance.now() - started);
    const named = /allkeys-lru/.test(refusal) && /noeviction/.test(refusal);
    const allowed = await startApp("bridge", env, { REDIS_URL: redis.url, REDIS_ALLOW_EVICTION: "true" });
    const readyz = (await (await fetch(`${allowed.url}/readyz`)).json()) as {
      ready: boolean;
      warnings?: string[];
    };
    await allowed.child.stop(5_000);
    const warned = readyz.ready && (readyz.warnings ?? []).some((w) => w.includes("allkeys-lru"));
    return {
      drill: name,
      sent: 0,
      deliveries: 0,
      answered: 0,
      answeredTwice: 0,
      samePostTwice: 0,
      lost: 0,
      posts: {},
      details: {
        refusedAtStart: refusal !== "started",
        refusalNamesPolicy: named,
        refusedMs,
        allowedStartsReadyWithWarning: warned,
      },
      pass: refusal !== "started" && named && warned,
    };
  } finally {
    await simulator.stop();
    await redis.close();
  }
}
