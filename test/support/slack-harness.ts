import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { createSlackAdapter, type SlackAdapterOptions } from "../../adapters/slack/index.js";
import type { Adapter, MessageSink } from "../../src/adapter.js";
import type { SlackConfig } from "../../src/config.js";
import type { ChatMessage, SubmitResult } from "../../src/types.js";
import { type CoreOptions, startCore, type TestCore } from "./core.js";
import { type FakeSlackUser, type RunningSlackApi, startSlackApi } from "./slack-api.js";
import { envelope, postSigned, type SignedPostOptions } from "./slack-events.js";
import { type RunningSocketServer, startSocketServer } from "./slack-socket.js";

export const BOT_TOKEN = "xoxb-test-0000-bot-token";
export const APP_TOKEN = "xapp-1-test-0000-app-token";
export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

export interface SlackHarnessOptions {
  mode?: "http" | "socket";
  core?: CoreOptions;
  /** Overrides of the parsed SLACK_* config. */
  slack?: Partial<Omit<SlackConfig, "mode" | "botToken" | "apiUrl">>;
  users?: Record<string, FakeSlackUser>;
  /** @default the adapter's default (1 s) */
  indicatorDelayMs?: number;
  /** Web API double latency (ms). */
  apiLatencyMs?: number;
  /** Leave adapter.start() to the test. @default true */
  start?: boolean;
  /** How often a DM's status is set again (issue 13). @default the adapter's (100 s) */
  statusRefreshMs?: number;
  // --- hardening (issue 11): the adapter's posting, credential and /slack/events options ---
  adapter?: Omit<SlackAdapterOptions, "workingIndicatorDelayMs" | "statusRefreshMs">;
  // --- end hardening ---
}

export interface SlackHarness {
  core: TestCore;
  api: RunningSlackApi;
  socket: RunningSocketServer | null;
  adapter: Adapter;
  /** Every message the adapter handed to the core, with what the core said. */
  submitted: Array<{ message: ChatMessage; result: SubmitResult }>;
  /** The shared HTTP server's events URL (HTTP mode). */
  eventsUrl: string;
  /** Posts one event in a signed envelope; resolves with the HTTP status. */
  deliver(
    event: Record<string, unknown>,
    options?: Partial<SignedPostOptions> & { eventId?: string; envelope?: Record<string, unknown> },
  ): Promise<number>;
  /** Resolves once the adapter has handed `count` messages to the core in all. */
  waitForSubmits(count: number): Promise<void>;
  /** Resolves when the shared server receives its next request (headers only; the body may still come). */
  nextRequest(): Promise<void>;
  /** The texts of the chat.postMessage calls so far. */
  posted(): string[];
  close(): Promise<void>;
}

/**
 * The real Bolt app from createSlackAdapter, mounted on a node:http server like the lead's, talking to
 * the Web API double (and a Socket Mode server), handing messages to the real core and its simulator.
 */
export async function startSlackHarness(options: SlackHarnessOptions = {}): Promise<SlackHarness> {
  const mode = options.mode ?? "http";
  const core = await startCore(options.core);
  const socket = mode === "socket" ? await startSocketServer() : null;
  const api = await startSlackApi({
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    ...(options.users ? { users: options.users } : {}),
    ...(socket ? { socketUrl: socket.url } : {}),
    ...(options.apiLatencyMs ? { latencyMs: options.apiLatencyMs } : {}),
  });
  const submitted: SlackHarness["submitted"] = [];
  let submitWaiters: Array<{ count: number; resolve: () => void }> = [];
  const sink: MessageSink = {
    async submit(message) {
      const result = await core.bridge.submit(message);
      submitted.push({ message, result });
      for (const waiter of submitWaiters.filter((w) => submitted.length >= w.count)) waiter.resolve();
      return result;
    },
  };
  const config: SlackConfig = {
    botToken: BOT_TOKEN,
    mode,
    signingSecret: mode === "http" ? SIGNING_SECRET : null,
    appToken: mode === "socket" ? APP_TOKEN : null,
    apiUrl: api.url,
    threadFollowups: true,
    identity: "user",
    allowedChannels: null,
    allowedUsers: null,
    suggestedPrompts: [],
    lookupsPerMinute: 50,
    ...options.slack,
  };
  const adapter = createSlackAdapter(
    config,
    { sink, memory: core.store, metrics: core.metrics, logger: core.logger, feedback: core.recorder },
    {
      ...options.adapter,
      ...(options.indicatorDelayMs === undefined
        ? {}
        : { workingIndicatorDelayMs: options.indicatorDelayMs }),
      ...(options.statusRefreshMs === undefined ? {} : { statusRefreshMs: options.statusRefreshMs }),
    },
  );
  core.adapters.set("slack", adapter);
  let requestWaiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    for (const wake of requestWaiters.splice(0)) wake();
    const route = adapter.routes.get(new URL(req.url ?? "/", "http://localhost").pathname);
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  if (options.start !== false) await adapter.start();

  let closed = false;
  return {
    core,
    api,
    socket,
    adapter,
    submitted,
    eventsUrl,
    async deliver(event, deliverOptions = {}) {
      const { eventId, envelope: fields, ...signing } = deliverOptions;
      const response = await postSigned(
        eventsUrl,
        { ...envelope(event, eventId), ...fields },
        {
          secret: SIGNING_SECRET,
          ...signing,
        },
      );
      return response.status;
    },
    waitForSubmits: (count) =>
      submitted.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => submitWaiters.push({ count, resolve })),
    nextRequest: () => new Promise<void>((resolve) => requestWaiters.push(resolve)),
    posted: () => api.callsTo("chat.postMessage").map((call) => call.args.text ?? ""),
    async close() {
      if (closed) return;
      closed = true;
      requestWaiters = [];
      submitWaiters = [];
      api.releaseHolds();
      await adapter.stopIntake();
      await core.bridge.stop(2_000);
      await adapter.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await socket?.close();
      await api.close();
      await core.close();
    },
  };
}

/** For a test file: each test starts its own harness with the returned function; it is closed after the test. */
export function useSlackHarness(): (options?: SlackHarnessOptions) => Promise<SlackHarness> {
  let harness: SlackHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });
  return async (options = {}) => {
    harness = await startSlackHarness(options);
    return harness;
  };
}
