import { Writable } from "node:stream";
import type { Adapter, ThreadPort } from "../../src/adapter.js";
import { createOpenAiAssistantClient } from "../../src/assistant/openai/client.js";
import { createTwilioAssistantClient } from "../../src/assistant/twilio/client.js";
import type { QueueConfig } from "../../src/config.js";
import { createLogger, type Logger } from "../../src/logger.js";
import { Metrics } from "../../src/metrics.js";
import { Bridge } from "../../src/pipeline/bridge.js";
import { FeedbackRecorder } from "../../src/pipeline/feedback.js";
import type { ThreadContextLimits } from "../../src/pipeline/thread-context.js";
import type { QuotaConfig } from "../../src/quotas.js";
import {
  type RunningSimulator,
  type SimulatorOptions,
  simulatorCredentials,
  startSimulator,
} from "../../src/simulator/server.js";
import { MemoryStore } from "../../src/state/memory-store.js";
import type { BridgeStore } from "../../src/state/store.js";
import type { ChatMessage, Platform, SubmitResult } from "../../src/types.js";
import { PortRouter } from "./recording-port.js";

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
  /** @default a new MemoryStore */
  store?: BridgeStore;
  /** Answers carry a FeedbackRef, and `recorder` records votes against the simulator. @default false */
  feedback?: boolean;
  /** Usage quotas. @default none */
  quotas?: QuotaConfig;
  /** Which contract the core speaks to the simulator. @default "twilio" */
  backend?: "twilio" | "openai";
  /** THREAD_CONTEXT's limits; null (off) by default. */
  threadContext?: ThreadContextLimits | null;
}

export interface TestCore {
  bridge: Bridge;
  store: BridgeStore;
  /** Adapters whose `portFor` answers their platform's messages (harnesses add theirs). */
  adapters: Map<Platform, Pick<Adapter, "portFor">>;
  /** Submits a message whose replies go to `port` (tests without an adapter). */
  submit(message: ChatMessage, port: ThreadPort): Promise<SubmitResult>;
  /** Records votes at the simulator through the store and the bridge's queue; null unless `feedback`. */
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
  const timeoutMs = options.timeoutMs ?? 5000;
  const client =
    options.backend === "openai"
      ? createOpenAiAssistantClient({
          baseUrl: `${simulator.url}/v1`,
          apiKey: simulator.openAiKey,
          apiKeyHeader: "authorization",
          model: "simulator",
          instructions: null,
          safetyIdentifier: false,
          timeoutMs,
          logger,
        })
      : createTwilioAssistantClient({
          baseUrl: simulator.url,
          assistantId: ASSISTANT_ID,
          username: simulator.accountSid,
          password: simulator.authToken,
          timeoutMs,
        });
  const store = options.store ?? new MemoryStore();
  const router = new PortRouter();
  const adapters = new Map<Platform, Pick<Adapter, "portFor">>();
  const bridge = new Bridge({
    client,
    store,
    portFor: (message) => {
      if (message.address.testPort !== undefined) return router.portFor(message);
      const adapter = adapters.get(message.platform);
      if (!adapter) throw new Error(`no ${message.platform} adapter attached to the test core`);
      return adapter.portFor(message.address);
    },
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
    ...(options.quotas ? { quotas: options.quotas } : {}),
    threadContext: options.threadContext ?? null,
  });
  bridge.start(["slack", "discord", "console"]);
  return {
    bridge,
    store,
    adapters,
    submit: (message, port) => bridge.submit(router.route(message, port)),
    recorder: options.feedback
      ? new FeedbackRecorder({
          client,
          store,
          schedule: (task) => bridge.behindQuestions(task),
          logger,
          metrics,
        })
      : null,
    simulator,
    metrics,
    logger,
    logLines: lines,
    async close() {
      await bridge.stop(0);
      await store.close();
      await client.close();
      await simulator.close();
    },
  };
}
