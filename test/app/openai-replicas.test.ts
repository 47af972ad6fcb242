/**
 * Two replicas of the real entry point on one Redis, on the OpenAI-compatible backend (the simulator's
 * Chat Completions side): the history the bridge keeps is shared, and a crash leaves no half turn.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, simulatorCredentials, startSimulator } from "../../src/simulator/server.js";
import { useTestRedis } from "../support/redis.js";
import { Cluster, until } from "./replicas-support.js";

const redis = useTestRedis();
const TEST_TIMEOUT_MS = 120_000;

let cluster: Cluster | undefined;
let simulator: RunningSimulator | undefined;
afterEach(async () => {
  await cluster?.close();
  await simulator?.close();
  cluster = undefined;
  simulator = undefined;
});

/** The user messages of the simulator's `n`th Chat Completions request (from 1), in order. */
function questionsOf(n: number): string[] {
  const request = simulator?.chatRequests[n - 1];
  return (request?.messages ?? []).filter((m) => m.role === "user").map((m) => String(m.content));
}

async function start(env: Record<string, string> = {}): Promise<Cluster> {
  const credentials = simulatorCredentials();
  simulator = await startSimulator({
    ...credentials,
    assistantId: "aia_asst_unused",
    // `slow` answers after 3 s: long enough to kill the replica while it waits.
    script: (request) => ({
      kind: "answer",
      body: `answer: ${request.body}`,
      delayMs: request.body.includes("slow") ? 3_000 : 50,
    }),
  });
  cluster = await Cluster.start({
    redisUrl: redis.url(),
    prefix: redis.prefix(),
    env: {
      ASSISTANT_BACKEND: "openai",
      OPENAI_BASE_URL: `${simulator.url}/v1`,
      OPENAI_API_KEY: credentials.openAiKey,
      ...env,
    },
    // A model name of each replica's own: a request says which replica sent it.
    envOf: (index) => ({ OPENAI_MODEL: `gpt-replica-${index}` }),
  });
  return cluster;
}

describe("two replicas on the OpenAI-compatible backend", () => {
  it(
    "answers a follow-up on the other replica with the first one's history",
    async () => {
      const running = await start();
      const root = await running.mention(0, "one");
      await until(() => running.postsIn(root.ts).length === 1, "the first answer");
      await running.mention(1, "two", root.ts);
      await until(() => running.postsIn(root.ts).length === 2, "the second answer");
      await running.mention(0, "three", root.ts);
      await running.settled([root.ts]);
      await until(() => running.postsIn(root.ts).length === 3, "the third answer");

      expect(running.postsIn(root.ts)).toEqual(["answer: one", "answer: two", "answer: three"]);
      expect(questionsOf(2)).toEqual(["one", "two"]);
      expect(questionsOf(3)).toEqual(["one", "two", "three"]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a SIGKILL mid-call leaves no half turn: the other replica says the answer was lost, and the history goes on without it",
    async () => {
      const running = await start({ REDIS_LEASE_MS: "1500" });
      const root = await running.mention(0, "one");
      await until(() => running.postsIn(root.ts).length === 1, "the first answer");
      await running.mention(0, "slow two", root.ts);
      await until(() => (simulator?.chatRequests.length ?? 0) === 2, "the slow call");
      // Either replica may have taken the session: kill the one whose call is under way.
      const holder = simulator?.chatRequests[1]?.model === "gpt-replica-1" ? 1 : 0;
      const victim = running.replica(holder);
      void victim.child.kill("SIGKILL");
      await victim.child.exited;
      await until(() => running.postsIn(root.ts).length === 2, "the other replica's notice", 60_000);
      expect(running.postsIn(root.ts)[1]).toContain("your answer was lost while I restarted");

      await running.mention(1 - holder, "three", root.ts);
      await until(() => running.postsIn(root.ts).length === 3, "the third answer", 60_000);
      expect(running.postsIn(root.ts)[2]).toBe("answer: three");
      // The lost call is never sent again, and its question is not in the history.
      expect(simulator?.chatRequests).toHaveLength(3);
      expect(questionsOf(3)).toEqual(["one", "three"]);
    },
    TEST_TIMEOUT_MS,
  );
});
