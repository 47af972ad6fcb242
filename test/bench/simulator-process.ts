/**
 * The offline Twilio simulator in a process of its own, so that neither the measured process nor the
 * load generator shares its CPU. Run with `node --import tsx test/bench/simulator-process.ts`.
 *
 * Reads its behaviour as JSON from BENCH_SIMULATOR (see SimulatorBehaviour), prints one JSON line
 * with its URL and credentials, and on SIGTERM prints one JSON line of counts and exits.
 */
import { type Scripted, simulatorCredentials, startSimulator } from "../../src/simulator/server.js";

export interface SimulatorBehaviour {
  /** Delay before every answer. @default 0 */
  latencyMs?: number;
  /** Share of calls (0–1) answered 429 with Retry-After. @default 0 */
  rateLimitedShare?: number;
  /** @default 1 */
  retryAfterSeconds?: number;
  /** Every n-th call never answers (the client's timeout ends it). @default never */
  hangEvery?: number;
}

/** The line the process prints once it listens. */
export interface SimulatorAnnouncement {
  url: string;
  accountSid: string;
  authToken: string;
  assistantId: string;
  /** The Bearer key of its Chat Completions side. */
  openAiKey: string;
}

/** The line the process prints on SIGTERM. */
export interface SimulatorCounts {
  calls: number;
  rateLimited: number;
  hung: number;
}

export const BENCH_ASSISTANT_ID = "aia_asst_bench";

/** Small, seeded PRNG (mulberry32): drills fail the same calls on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function main(): Promise<void> {
  const behaviour = JSON.parse(process.env.BENCH_SIMULATOR ?? "{}") as SimulatorBehaviour;
  const random = seeded(42);
  const counts: SimulatorCounts = { calls: 0, rateLimited: 0, hung: 0 };
  // A two-letter answer: one chat.postMessage per answer, and no rendering cost worth measuring.
  const answer: Scripted = { kind: "answer", body: "ok" };
  const credentials = simulatorCredentials();
  const simulator = await startSimulator({
    ...credentials,
    assistantId: BENCH_ASSISTANT_ID,
    latencyMs: behaviour.latencyMs ?? 0,
    // Bench sessions are one message long: remembering many would only grow this process.
    maxSessions: 1000,
    script: () => {
      counts.calls++;
      if (behaviour.hangEvery !== undefined && counts.calls % behaviour.hangEvery === 0) {
        counts.hung++;
        return { kind: "hang" };
      }
      if (random() < (behaviour.rateLimitedShare ?? 0)) {
        counts.rateLimited++;
        return { kind: "rate_limited", retryAfterSeconds: behaviour.retryAfterSeconds ?? 1 };
      }
      return answer;
    },
  });
  const announcement: SimulatorAnnouncement = {
    ...credentials,
    url: simulator.url,
    assistantId: BENCH_ASSISTANT_ID,
  };
  process.stdout.write(`${JSON.stringify(announcement)}\n`);

  const stop = () => {
    process.stdout.write(`${JSON.stringify(counts)}\n`, () => {
      void simulator.close().then(() => process.exit(0));
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // The parent going away without a signal (a crash) must not leave this process behind.
  process.on("disconnect", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`simulator process failed: ${String(error)}\n`);
  process.exit(1);
});
