import type { ThreadPort } from "../../src/adapter.js";
import { createTwilioAssistantClient } from "../../src/assistant/twilio/client.js";
import type { AssistantClient } from "../../src/assistant/types.js";
import { createLogger } from "../../src/logger.js";
import { Metrics } from "../../src/metrics.js";
import { Bridge } from "../../src/pipeline/bridge.js";
import { MemoryStore } from "../../src/state/memory-store.js";
import type { Reply } from "../../src/types.js";
import { startSimulatorProcess } from "./processes.js";

export interface RateLimitFigures {
  limit: number;
  intervalMs: number;
  calls: number;
  /** Start times (ms) whose window [t, t + interval) holds more than `limit` starts. */
  windowsOverLimit: number;
  busiestWindow: number;
  /** Ideal duration at exactly `limit` per interval, over the measured one (1 = the limit fully used). */
  utilisation: number;
  elapsedMs: number;
}

/**
 * A backlog of `calls` messages in distinct sessions through the real Bridge and Twilio client to an
 * instant simulator. Starts are stamped when the client is called, before the request goes out.
 * The simulator runs in a child process: in this one it would take CPU from the dispatch being
 * measured and lower the utilisation. Choose `limit` per `intervalMs` so that dispatch is not
 * CPU-bound (e.g. 100 per 250 ms: 10,000 calls in about 25 s).
 */
export async function measureRateLimit(
  limit: number,
  intervalMs: number,
  calls: number,
): Promise<RateLimitFigures> {
  const simulator = await startSimulatorProcess();
  try {
    return await measureAgainst(simulator.env, limit, intervalMs, calls);
  } finally {
    await simulator.stop();
  }
}

async function measureAgainst(
  env: Record<string, string>,
  limit: number,
  intervalMs: number,
  calls: number,
): Promise<RateLimitFigures> {
  const http = createTwilioAssistantClient({
    baseUrl: env.TWILIO_ASSISTANTS_URL ?? "",
    assistantId: env.TWILIO_ASSISTANT_ID ?? "",
    username: env.TWILIO_ACCOUNT_SID ?? "",
    password: env.TWILIO_AUTH_TOKEN ?? "",
    timeoutMs: 30_000,
  });
  const starts: number[] = [];
  let answered = 0;
  let allAnswered: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allAnswered = resolve;
  });
  const client: AssistantClient = {
    backend: http.backend,
    keepsHistory: http.keepsHistory,
    send(request, signal) {
      starts.push(performance.now());
      return http.send(request, signal);
    },
  };
  const port: ThreadPort = {
    async post(_reply: Reply) {
      if (++answered === calls) allAnswered();
    },
    canReply: () => true,
    startWorking: () => async () => {},
    readContext: async () => [],
  };
  const bridge = new Bridge({
    client,
    store: new MemoryStore(),
    portFor: () => port,
    queue: {
      rateLimit: limit,
      rateIntervalMs: intervalMs,
      concurrency: limit * 4,
      maxRetries: 0,
      maxPending: calls,
      maxPendingPerUser: calls,
    },
    mode: "chat",
    maxInputChars: 4000,
    logger: createLogger({ level: "silent", pretty: false, secrets: [] }),
    metrics: new Metrics(),
  });

  bridge.start(["slack"]);
  for (let i = 0; i < calls; i++) {
    void bridge.submit({
      platform: "slack",
      workspace: "T",
      channel: "C",
      thread: `t${i}`,
      user: `U${i}`,
      text: "hi",
      id: `m${i}`,
      address: {},
    });
  }
  let timer: NodeJS.Timeout | undefined;
  const expected = (calls / limit) * intervalMs * 3 + 30_000;
  await Promise.race([
    done,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`rate-limit run: ${answered} of ${calls} answered`)),
        expected,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  await bridge.stop(0);
  await http.close();

  starts.sort((a, b) => a - b);
  let windowsOverLimit = 0;
  let busiestWindow = 0;
  for (let i = 0, j = 0; i < starts.length; i++) {
    while (j < starts.length && (starts[j] ?? 0) < (starts[i] ?? 0) + intervalMs) j++;
    busiestWindow = Math.max(busiestWindow, j - i);
    if (j - i > limit) windowsOverLimit++;
  }
  const elapsedMs = (starts.at(-1) ?? 0) - (starts[0] ?? 0) + intervalMs;
  return {
    limit,
    intervalMs,
    calls,
    windowsOverLimit,
    busiestWindow,
    utilisation: ((calls / limit) * intervalMs) / elapsedMs,
    elapsedMs,
  };
}
