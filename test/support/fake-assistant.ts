import type { ThreadPort } from "../../src/adapter.js";
import type {
  AssistantClient,
  AssistantOutcome,
  AssistantRequest,
  BackendKind,
} from "../../src/assistant/types.js";
import type { QueueConfig } from "../../src/config.js";
import { Metrics } from "../../src/metrics.js";
import { Bridge, type BridgeOptions } from "../../src/pipeline/bridge.js";
import { MemoryStore } from "../../src/state/memory-store.js";
import type { ChatMessage } from "../../src/types.js";
import { memoryLogger } from "./core.js";
import { PortRouter } from "./recording-port.js";

export interface Call {
  request: AssistantRequest;
  startedAt: number;
  endedAt: number | null;
}

/**
 * An in-memory assistant: records every call; `respond` decides each answer (default: instant echo).
 * As Twilio (keeps each session's conversation) or, `openai`, stateless (the bridge sends the history).
 */
export class FakeAssistant implements AssistantClient {
  readonly keepsHistory: boolean;
  constructor(readonly backend: BackendKind = "twilio") {
    this.keepsHistory = backend === "twilio";
  }
  readonly calls: Call[] = [];
  respond: (request: AssistantRequest, signal?: AbortSignal) => Promise<AssistantOutcome> = async (
    request,
  ) => ({
    kind: "answer",
    body: `echo: ${request.body}`,
    sessionId: request.sessionId,
  });

  async send(request: AssistantRequest, signal?: AbortSignal): Promise<AssistantOutcome> {
    const call: Call = { request, startedAt: Date.now(), endedAt: null };
    this.calls.push(call);
    try {
      return await this.respond(request, signal);
    } finally {
      call.endedAt = Date.now();
    }
  }
}

export const QUEUE: QueueConfig = {
  rateLimit: 1000,
  rateIntervalMs: 1000,
  concurrency: 100,
  maxRetries: 3,
  maxPending: 1000,
  maxPendingPerUser: 1000,
};

/** A started Bridge over a FakeAssistant and a store (a new MemoryStore unless given), silent logs, fresh metrics. */
export function fakeBridge(
  queue: Partial<QueueConfig> = {},
  maxInputChars = 4000,
  extra: Partial<
    Pick<
      BridgeOptions,
      | "feedback"
      | "store"
      | "quotas"
      | "threadContext"
      | "historyMaxChars"
      | "recheckEveryMs"
      | "holdUnreplyableMs"
    >
  > & {
    router?: PortRouter;
    backend?: BackendKind;
  } = {},
) {
  const metrics = new Metrics();
  const { logger, lines } = memoryLogger("debug");
  // Shared between two bridges, it lets the second answer what the first accepted (another process).
  const { router = new PortRouter(), backend, ...options } = extra;
  const assistant = new FakeAssistant(backend);
  const store = options.store ?? new MemoryStore();
  const bridge = new Bridge({
    client: assistant,
    portFor: router.portFor,
    queue: { ...QUEUE, ...queue },
    mode: "chat",
    maxInputChars,
    logger,
    metrics,
    random: () => 0.5,
    ...options,
    store,
  });
  bridge.start(["slack", "discord", "console"]);
  /** Submits `message` with its replies going to `port`. */
  const submit = (message: ChatMessage, port: ThreadPort) => bridge.submit(router.route(message, port));
  return { bridge, store, router, submit, assistant, metrics, logger, logLines: lines };
}

let sequence = 0;
/** A chat message; `thread` picks the session, `user` the sender. */
export function message(overrides: Partial<ChatMessage> = {}): ChatMessage {
  sequence++;
  return {
    platform: "slack",
    workspace: "T1",
    channel: "C1",
    thread: "1700000000.000100",
    user: "U1",
    text: `message ${sequence}`,
    id: `T1/C1/${sequence}`,
    address: {},
    ...overrides,
  };
}

/** A promise with its resolve function outside, to hold an assistant answer open. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
