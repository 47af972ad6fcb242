import { Writable } from "node:stream";
import { createTwilioAssistantClient } from "../../src/assistant/client.js";
import type { QueueConfig } from "../../src/config.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { Metrics } from "../../src/metrics.js";
import { Bridge } from "../../src/pipeline/bridge.js";
import type { FeedbackRecorder } from "../../src/pipeline/feedback.js";
import {
  type RunningSimulator,
  type SimulatorOptions,
  simulatorCredentials,
  startSimulator,
} from "../../src/simulator/server.js";
import { testRecorder } from "./feedback.js";

export const ASSISTANT_ID = "aia_asst_test";

/** A logger whose lines are kept in memory (tests read them; nothing goes to the terminal). */
export function memoryLogger(level: "debug" | "info" | "silent" = "debug", secrets: string[] = []) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger: Logger = createLogger({ level, pretty: false, secrets, destination });
  return { logger, lines };
}

export interface CoreOptions {
  simulator?: Partial<Pick<SimulatorOptions, "latencyMs" | "script">>;
  queue?: Partial<QueueConfig>;
  timeoutMs?: number;
  maxInputChars?: number;
  /** Answers carry a FeedbackRef, and `recorder` records votes against the simulator. @default false */
  feedback?: boolean;
}

export interface TestCore {
  bridge: Bridge;
  /** Records votes at the simulator (fake store, no rate limit); null unless `feedback` was asked for. */
  recorder: FeedbackRecorder | null;
  simulator: RunningSimulator;
  metrics: Metrics;
  logger: Logger;
  logLines: string[];
  close(): Promise<void>;
}

/** The real core (Bridge + Twilio client) against the offline simulator on 127.0.0.1. */
export async function startCore(options: CoreOptions = {}): Promise<TestCore> {
  const simulator = await startSimulator({
    ...simulatorCredentials(),
    assistantId: ASSISTANT_ID,
    ...options.simulator,
  });
  const { logger, lines } = memoryLogger();
  const metrics = new Metrics();
  const client = createTwilioAssistantClient({
    baseUrl: simulator.url,
    assistantId: ASSISTANT_ID,
    username: simulator.accountSid,
    password: simulator.authToken,
    timeoutMs: options.timeoutMs ?? 5000,
  });
  const bridge = new Bridge({
    client,
    mode: "chat",
    maxInputChars: options.maxInputChars ?? 4000,
    queue: {
      rateLimit: 100,
      rateIntervalMs: 1000,
      concurrency: 10,
      maxRetries: 3,
      maxPending: 100,
      maxPendingPerUser: 10,
      ...options.queue,
    },
    logger,
    metrics,
    feedback: options.feedback ?? false,
  });
  return {
    bridge,
    recorder: options.feedback ? testRecorder(client, logger, metrics).recorder : null,
    simulator,
    metrics,
    logger,
    logLines: lines,
    async close() {
      await bridge.stop(0);
      await client.close();
      await simulator.close();
    },
  };
}
