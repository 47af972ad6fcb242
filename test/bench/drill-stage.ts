/**
 * The stage of one fault drill: a simulator process with the fault scripted, the lean Slack double,
 * the bridge child process, and a tally of what reached each thread.
 */
import { appEnv, type RunningApp, startApp } from "./apps.js";
import { EventSender } from "./load.js";
import { type RunningSimulatorProcess, startSimulatorProcess } from "./processes.js";
import type { SimulatorBehaviour, SimulatorCounts } from "./simulator-process.js";
import type { SlackCounter } from "./slack-counter.js";

/** What a post in a thread was, from its text (the simulator always answers "ok"). */
export type PostKind = "answer" | "restarting notice" | "timeout notice" | "failure notice" | "other";

export function postKind(text: string): PostKind {
  if (text === "ok") return "answer";
  if (text.includes("restarting")) return "restarting notice";
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
  lost: number;
  /** Posts by kind. */
  posts: Partial<Record<PostKind, number>>;
  /** Anything else the drill checks (exit code, 429s served…). */
  details: Record<string, unknown>;
  pass: boolean;
}

export interface Stage {
  app: RunningApp;
  slack: SlackCounter;
  sender: EventSender;
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
  /** Stops the bridge and the simulator; returns the simulator's counts. */
  close(): Promise<SimulatorCounts | null>;
}

export async function openStage(
  slack: SlackCounter,
  behaviour: SimulatorBehaviour,
  bridgeEnv: Record<string, string>,
): Promise<Stage> {
  slack.reset();
  const posts = new Map<PostKind, number>();
  slack.onPost = (post) => {
    const kind = postKind(post.text);
    posts.set(kind, (posts.get(kind) ?? 0) + 1);
  };
  let simulator: RunningSimulatorProcess | null = null;
  let app: RunningApp | null = null;
  try {
    simulator = await startSimulatorProcess(behaviour);
    app = await startApp("bridge", appEnv(simulator.env, slack), bridgeEnv);
  } catch (error) {
    await simulator?.stop();
    throw error;
  }
  const running = app;
  const runningSimulator = simulator;
  const sender = new EventSender(app.url, 32);
  const answeredOf = (threads: readonly string[]) => threads.filter((ts) => slack.postsIn(ts) > 0).length;

  return {
    app: running,
    slack,
    sender,
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
        lost: threads.length - answered,
        posts: Object.fromEntries(posts),
      };
    },
    async close() {
      sender.close();
      slack.onPost = null;
      await running.child.stop(20_000);
      return runningSimulator.stop();
    },
  };
}
