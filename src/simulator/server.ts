import { randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { openAiRoutes, sendOpenAiError } from "./openai-routes.js";
import { SimulatorRecords } from "./resources.js";
import {
  demoScript,
  normalAnswer,
  type Scripted,
  type SimulatorContext,
  type SimulatorRequest,
} from "./scripted.js";
import { sendTwilioError, twilioRoutes } from "./twilio-routes.js";

// The scripted words and samples are the simulator's public face too (tests render its samples).
export { longAnswer, SAMPLE_MARKDOWN, type Scripted, type SimulatorRequest } from "./scripted.js";

export interface SimulatorOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** The account's `AC…` SID: what answers report as `account_sid`. */
  accountSid: string;
  /** The Basic auth user: the account SID, or an API key `SK…`. @default accountSid */
  username?: string;
  /** The Basic auth password (Auth Token or API key secret). */
  authToken: string;
  assistantId: string;
  /** The key Chat Completions calls must bring (Bearer, or Azure's `api-key`); null or absent: none. */
  openAiKey?: string | null;
  /** Delay before each answer (messages and feedbacks). @default 0 */
  latencyMs?: number;
  /** Overrides the answer for some messages (tests, drills); return undefined for the normal answer. */
  script?: (request: SimulatorRequest) => Scripted | undefined;
  /** Sessions remembered; the oldest are forgotten past it. @default 10000 */
  maxSessions?: number;
  /** Feedbacks remembered; the oldest are forgotten past it. @default 10000 */
  maxFeedbacks?: number;
}

export interface RunningSimulator {
  /** Base URL to use as TWILIO_ASSISTANTS_URL; OPENAI_BASE_URL is `${url}/v1`. */
  url: string;
  accountSid: string;
  /** The Basic auth user (the account SID unless an API key was given). */
  username: string;
  authToken: string;
  assistantId: string;
  openAiKey: string | null;
  /** Every message the simulator accepted on either side, in order (tests read it). */
  readonly received: readonly SimulatorRequest[];
  /** Every Chat Completions request accepted, as sent. */
  readonly chatRequests: readonly ChatCompletionCreateParamsNonStreaming[];
  /** Every feedback recorded, oldest first. */
  readonly feedbacks: SimulatorRecords["feedbacks"];
  close(): Promise<void>;
}

/** Fresh credentials for an embedded simulator, so nothing guessable ever opens it. */
export function simulatorCredentials(): { accountSid: string; authToken: string; openAiKey: string } {
  return {
    accountSid: `AC${randomBytes(16).toString("hex")}`,
    authToken: randomBytes(16).toString("hex"),
    openAiKey: `sk-simulator-${randomBytes(16).toString("hex")}`,
  };
}

/**
 * A local stand-in for both assistant APIs the bridge speaks: Twilio's Assistants API (twilio-routes.ts)
 * and OpenAI's Chat Completions (openai-routes.ts), with their auth, validation, error shapes and
 * answer schemas, and the same scripted words (scripted.ts) on both sides.
 */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const records = new SimulatorRecords({
    accountSid: options.accountSid,
    assistantId: options.assistantId,
    maxSessions: options.maxSessions ?? 10_000,
    maxFeedbacks: options.maxFeedbacks ?? 10_000,
  });
  const received: SimulatorRequest[] = [];
  const chatRequests: ChatCompletionCreateParamsNonStreaming[] = [];
  const username = options.username ?? options.accountSid;
  const script = options.script ?? demoScript();
  const hanging = new Set<ServerResponse>();
  let baseUrl = "";
  const context: SimulatorContext = {
    latencyMs: options.latencyMs ?? 0,
    baseUrl: () => baseUrl,
    scriptFor(request) {
      received.push(request);
      return script(request) ?? { kind: "answer", body: normalAnswer(request) };
    },
    hang(res) {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
    },
  };
  const twilio = twilioRoutes(context, records, { ...options, username });
  const openai = openAiRoutes(context, { apiKey: options.openAiKey ?? null, received: chatRequests });

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://simulator");
    const handled = async () =>
      (await twilio(req, res, url)) ||
      (await openai(req, res, url)) ||
      sendTwilioError(res, 404, 20404, "The requested resource was not found");
    handled().catch((error: unknown) => {
      if (url.pathname.includes("/chat/")) sendOpenAiError(res, 500, "server_error", null, String(error));
      else sendTwilioError(res, 500, 20500, `Internal simulator error: ${String(error)}`);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;
  return {
    url: baseUrl,
    accountSid: options.accountSid,
    username,
    authToken: options.authToken,
    assistantId: options.assistantId,
    openAiKey: options.openAiKey ?? null,
    received,
    chatRequests,
    feedbacks: records.feedbacks,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
