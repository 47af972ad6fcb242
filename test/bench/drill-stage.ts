/**
 * The stage of one fault drill: a simulator process with the fault scripted, the lean Slack double,
 * the bridge child process, and a tally of what reached each thread.
 */
import { appEnv, type RunningApp, startApp } from "./apps.js";
import { EventSender, freshMention } from "./load.js";
import { type RunningSimulatorProcess, startSimulatorProcess } from "./processes.js";
import type { SimulatorBehaviour, SimulatorCounts } from "./simulator-process.js";
import type { SlackCounter } from "./slack-counter.js";

/** Messages per drill, and how long a drill waits for every thread's reply. */
export const MESSAGES = 300;
export const ANSWER_TIMEOUT_MS = 60_000;

export const log = (line: string) => process.stderr.write(`[drills] ${line}\n`);

/** What a post in a thread was, from its text (the simulator always answers "ok"). */
export type PostKind =
  | "answer"
  | "restarting notice"
  | "lost notice"
  | "timeout notice"
  | "failure notice"
  | "other";

export function postKind(text: string): PostKind {
  if (text === "ok") return "answer";
  if (text.includes("restarting")) return "restarting notice";
  if (text.includes("lost while I restarted")) return "lost notice";
  if (text.includes("took too long")) return "timeout notice";
  if (text.includes("could not answer")) return "failure notice";
  return "other";
}

export interface DrillResult {
  drill: string;
  /** Distinct Slack messages. */
  sent: number;
  /** Event deliveries (copies, retries and twins included). */
  deliveries: number;
  /** Messages with at least one post in their thread (an answer or a notice). */
  answered: number;
  answeredTwice: number;
  /**
   * Of those, threads where one reply was posted twice, word for word: the named duplicate window (a
   * replica died after posting and before recording the post; the next one posted it again).
   */
  samePostTwice: number;
  lost: number;
  /** Posts by kind. */
  posts: Partial<Record<PostKind, number>>;
  /** Anything else the drill checks (exit code, 429s served…). */
  details: Record<string, unknown>;
  pass: boolean;
}

export interface Stage {
  /** The first replica (the only one unless the stage has several). */
  app: RunningApp;
  /** Every replica, in order. */
  apps: RunningApp[];
  slack: SlackCounter;
  /** Sends to the first replica. */
  sender: EventSender;
  /** One sender per replica. */
  senders: EventSender[];
  /** Posts by kind, since the stage started. */
  posts: Map<PostKind, number>;
  /** Resolves once every thread in `threads` has a post, or after `timeoutMs` (the tally shows the lost). */
  allAnswered(threads: readonly string[], timeoutMs: number): Promise<void>;
  /** Counts the threads; waits `settleMs` first so that a late second answer is seen. */
  tally(
    drill: string,
    threads: readonly string[],
    deliveries: number,
    settleMs?: number,
  ): Promise<Omit<DrillResult, "details" | "pass">>;
  /** Stops every replica still running and the simulator; returns the simulator's counts. */
  close(): Promise<SimulatorCounts | null>;
}

/**
 * A fresh stage: the simulator and `replicas` bridge processes (more than one needs REDIS_URL in
 * `bridgeEnv`, so that they share their state).
 */
export async function openStage(
  slack: SlackCounter,
  behaviour: SimulatorBehaviour,
  bridgeEnv: Record<string, string>,
  replicas = 1,
): Promise<Stage> {
  slack.reset();
  const posts = new Map<PostKind, number>();
  const texts = new Map<string, string[]>();
  slack.onPost = (post) => {
    texts.set(post.threadTs, [...(texts.get(post.threadTs) ?? []), post.text]);
    const kind = postKind(post.text);
    posts.set(kind, (posts.get(kind) ?? 0) + 1);
  };
  let simulator: RunningSimulatorProcess | null = null;
  const apps: RunningApp[] = [];
  try {
    simulator = await startSimulatorProcess(behaviour);
    for (let i = 0; i < replicas; i++)
      apps.push(await startApp("bridge", appEnv(simulator.env, slack), bridgeEnv));
  } catch (error) {
    await Promise.all(apps.map((app) => app.child.stop(1000)));
    await simulator?.stop();
    throw error;
  }
  const [first] = apps;
  if (first === undefined) throw new Error("a stage needs at least one replica");
  const runningSimulator = simulator;
  const senders = apps.map((app) => new EventSender(app.url, 32));
  const sender = senders[0] as EventSender;
  const answeredOf = (threads: readonly string[]) => threads.filter((ts) => slack.postsIn(ts) > 0).length;

  return {
    app: first,
    apps,
    slack,
    sender,
    senders,
    posts,
    async allAnswered(threads, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (answeredOf(threads) < threads.length) {
        if (performance.now() > deadline) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async tally(drill, threads, deliveries, settleMs = 1500) {
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      const answered = answeredOf(threads);
      return {
        drill,
        sent: threads.length,
        deliveries,
        answered,
        answeredTwice: threads.filter((ts) => slack.postsIn(ts) > 1).length,
        samePostTwice: threads.filter((ts) => {
          const [first, ...rest] = texts.get(ts) ?? [];
          return rest.length > 0 && rest.every((text) => text === first);
        }).length,
        lost: threads.length - answered,
        posts: Object.fromEntries(posts),
      };
    },
    async close() {
      for (const each of senders) each.close();
      slack.onPost = null;
      await Promise.all(apps.map((app) => app.child.stop(20_000)));
      return runningSimulator.stop();
    },
  };
}

/** One event delivery: to replica `to` (default the first), a retry when `retryNum` is set. */
export interface Delivery {
  body: Record<string, unknown>;
  retryNum?: number;
  to?: number;
}

/** Sends deliveries with at most `inFlight` at once; returns the statuses that were not 200. */
export async function deliver(
  stage: Stage,
  deliveries: readonly Delivery[],
  inFlight = 32,
): Promise<number[]> {
  const refused: number[] = [];
  let next = 0;
  const worker = async () => {
    for (let delivery = deliveries[next++]; delivery !== undefined; delivery = deliveries[next++]) {
      const sender = stage.senders[delivery.to ?? 0] ?? stage.sender;
      const status = await sender.post(delivery.body, delivery.retryNum);
      if (status !== 200) refused.push(status);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return refused;
}

/** Fresh mentions, one delivery each; returns their thread keys and deliveries. */
export function mentions(count: number): { threads: string[]; deliveries: Delivery[] } {
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
export function shuffled<T>(items: readonly T[]): T[] {
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
export async function drill(
  slack: SlackCounter,
  name: string,
  setup: {
    behaviour?: SimulatorBehaviour;
    env?: Record<string, string>;
    replicas?: number;
    /**
     * A drill that kills a replica at a random moment may hit the named duplicate window: it passes
     * when each second post repeats the first word for word and no message reached the assistant twice.
     */
    duplicateWindow?: boolean;
  },
  body: (
    stage: Stage,
  ) => Promise<{ threads: string[]; deliveries: number; details?: Record<string, unknown> }>,
): Promise<DrillResult> {
  log(name);
  const stage = await openStage(slack, setup.behaviour ?? {}, setup.env ?? {}, setup.replicas);
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
  const allowed = setup.duplicateWindow ? counts.samePostTwice : 0;
  const askedOnce = !setup.duplicateWindow || (assistant?.calls ?? 0) <= counts.sent;
  const pass =
    counts.lost === 0 && counts.answeredTwice === allowed && askedOnce && refused.length === 0 && exitOk;
  return { ...counts, details, pass };
}
