import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BoundedMap } from "../collections/bounded-map.js";
import { readBody } from "../http/read-body.js";

/** What the simulator does with one message instead of its normal answer. */
export type Scripted =
  | { kind: "answer"; body: string; flagged?: boolean; delayMs?: number }
  | { kind: "aborted" }
  | { kind: "failure"; error: string }
  | { kind: "rate_limited"; retryAfterSeconds: number | null }
  | { kind: "server_error" }
  /** Never answers (until the client gives up or the server closes). */
  | { kind: "hang" };

export interface SimulatorRequest {
  identity: string;
  body: string;
  sessionId: string;
  /** Earlier bodies of this session, oldest first. */
  history: readonly string[];
}

export interface SimulatorOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  accountSid: string;
  authToken: string;
  assistantId: string;
  /** Delay before each answer. @default 0 */
  latencyMs?: number;
  /** Overrides the answer for some messages (tests, drills); return undefined for the normal answer. */
  script?: (request: SimulatorRequest) => Scripted | undefined;
  /** Sessions remembered; the oldest are forgotten past it. @default 10000 */
  maxSessions?: number;
}

export interface RunningSimulator {
  /** Base URL to use as TWILIO_ASSISTANTS_URL. */
  url: string;
  accountSid: string;
  authToken: string;
  assistantId: string;
  /** Every request the simulator accepted, in order (tests read it). */
  readonly received: readonly SimulatorRequest[];
  close(): Promise<void>;
}

const MORE_INFO = "https://www.twilio.com/docs/errors";
const PATH = /^\/v1\/Assistants\/([^/]+)\/Messages\/?$/;

/** Fresh credentials for an embedded simulator, so nothing guessable ever opens it. */
export function simulatorCredentials(): { accountSid: string; authToken: string } {
  return { accountSid: `AC${randomBytes(16).toString("hex")}`, authToken: randomBytes(16).toString("hex") };
}

/**
 * A local stand-in for Twilio's `POST /v1/Assistants/{id}/Messages`: same auth, validation,
 * error shapes and answer schema, with per-session memory and scriptable faults.
 */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const sessions = new BoundedMap<string, string[]>(options.maxSessions ?? 10_000);
  const received: SimulatorRequest[] = [];
  const expectedAuth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`;
  const latencyMs = options.latencyMs ?? 0;
  const script = options.script ?? demoScript();
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      sendError(res, 500, 20500, `Internal simulator error: ${String(error)}`);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = PATH.exec(req.url?.split("?")[0] ?? "");
    if (!match) return sendError(res, 404, 20404, "The requested resource was not found");
    if (req.method !== "POST") return sendError(res, 405, 20004, "Method not allowed");
    if (req.headers.authorization !== expectedAuth) return sendError(res, 401, 20003, "Authenticate");
    if (decodeURIComponent(match[1] ?? "") !== options.assistantId) {
      return sendError(res, 404, 20404, `The requested resource /Assistants/${match[1]} was not found`);
    }
    let payload: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(await readBody(req));
      if (parsed === null || typeof parsed !== "object") throw new Error("not an object");
      payload = parsed as Record<string, unknown>;
    } catch {
      return sendError(res, 400, 20001, "Request body must be a JSON object");
    }
    const { identity, body } = payload;
    if (typeof identity !== "string" || !/^[a-z_]+:.+$/.test(identity)) {
      return sendError(res, 400, 20001, "Invalid parameter: identity must be type:value");
    }
    if (typeof body !== "string" || body === "")
      return sendError(res, 400, 20001, "Missing required parameter body");
    const sessionId =
      typeof payload.session_id === "string" && payload.session_id ? payload.session_id : identity;

    const history = remember(sessionId, body);
    const request: SimulatorRequest = { identity, body, sessionId, history: history.slice(0, -1) };
    received.push(request);
    const scripted = script(request) ?? { kind: "answer", body: normalAnswer(request) };
    // Twilio never processes a request it answers 429: the session does not remember it.
    if (scripted.kind === "rate_limited") history.pop();
    if (scripted.kind === "hang") {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    const delay = (scripted.kind === "answer" ? scripted.delayMs : undefined) ?? latencyMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    answer(res, scripted, sessionId);
  }

  function remember(sessionId: string, body: string): string[] {
    const history = sessions.get(sessionId) ?? [];
    history.push(body);
    sessions.set(sessionId, history);
    return history;
  }

  function answer(
    res: ServerResponse,
    scripted: Exclude<Scripted, { kind: "hang" }>,
    sessionId: string,
  ): void {
    const base = {
      session_id: sessionId,
      account_sid: options.accountSid,
      flagged: false,
      aborted: false,
      error: null,
    };
    if (scripted.kind === "answer") {
      sendJson(res, 200, {
        ...base,
        status: "Success",
        flagged: scripted.flagged ?? false,
        body: scripted.body,
      });
    } else if (scripted.kind === "aborted") {
      sendJson(res, 200, { ...base, status: "Success", aborted: true, body: "" });
    } else if (scripted.kind === "failure") {
      sendJson(res, 200, { ...base, status: "Failed", body: "", error: scripted.error });
    } else if (scripted.kind === "rate_limited") {
      if (scripted.retryAfterSeconds !== null)
        res.setHeader("retry-after", String(scripted.retryAfterSeconds));
      sendError(res, 429, 20429, "Too many concurrent requests");
    } else {
      sendError(res, 500, 20500, "Internal server error");
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    accountSid: options.accountSid,
    authToken: options.authToken,
    assistantId: options.assistantId,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { code, message, more_info: `${MORE_INFO}/${code}`, status });
}

/** The simulator's own answer: shows that it remembers the session. */
function normalAnswer(request: SimulatorRequest): string {
  const turn = request.history.length + 1;
  const lines = [`*(offline simulator)* You said: “${request.body}”`];
  if (request.history.length === 0) {
    lines.push("This is the start of our conversation. Ask me something else and I will remember this.");
  } else {
    lines.push(
      `This is message ${turn} of our conversation. Before this you said: “${request.history.at(-1)}”.`,
    );
  }
  return lines.join("\n\n");
}

/** The answer to `#markdown`: one of everything a renderer has to handle. */
export const SAMPLE_MARKDOWN = [
  "# Markdown sample",
  "Some **bold**, some _italic_, some ~~struck~~ text and `inline code`.",
  "- a list item\n- another with a [link](https://www.twilio.com/docs)",
  "1. first\n2. second",
  "```ts\nconst answer: number = 42;\n```",
  "> a quote",
].join("\n\n");

/**
 * The demo triggers with one memory: `#429` answers 429 once per message and session, and its retry
 * succeeds, so it shows the bridge waiting for Retry-After and retrying (not a failure).
 */
function demoScript(): (request: SimulatorRequest) => Scripted | undefined {
  // Per session and text: true while the retry of a 429 is due.
  const retryDue = new BoundedMap<string, boolean>(1000);
  return (request) => {
    const scripted = scriptFromBody(request);
    if (scripted?.kind !== "rate_limited") return scripted;
    const key = `${request.sessionId}\n${request.body}`;
    const due = retryDue.get(key) === true;
    retryDue.set(key, !due);
    return due ? undefined : scripted;
  };
}

/**
 * Demo triggers a user can type: `#flagged`, `#aborted`, `#fail`, `#429`, `#error`, `#markdown`,
 * `#long=N` (an answer of about N characters), `#slow=MS`. Anything else gets the normal answer.
 */
export function scriptFromBody(request: SimulatorRequest): Scripted | undefined {
  const body = request.body.toLowerCase();
  if (body.includes("#flagged")) return { kind: "answer", flagged: true, body: normalAnswer(request) };
  if (body.includes("#aborted")) return { kind: "aborted" };
  if (body.includes("#fail")) return { kind: "failure", error: "The simulator was asked to fail (#fail)." };
  if (body.includes("#429")) return { kind: "rate_limited", retryAfterSeconds: 1 };
  if (body.includes("#error")) return { kind: "server_error" };
  if (body.includes("#markdown")) return { kind: "answer", body: SAMPLE_MARKDOWN };
  const slow = /#slow=(\d+)/.exec(body);
  if (slow)
    return { kind: "answer", body: normalAnswer(request), delayMs: Math.min(Number(slow[1]), 120_000) };
  const long = /#long=(\d+)/.exec(body);
  if (long) return { kind: "answer", body: longAnswer(Number(long[1])) };
  return undefined;
}

/** About `size` characters of numbered paragraphs, so a reader can check none went missing. */
export function longAnswer(size: number): string {
  const paragraphs: string[] = [];
  let length = 0;
  for (let n = 1; length < size; n++) {
    const paragraph = `Paragraph ${n}. ${"The quick brown fox jumps over the lazy dog. ".repeat(8).trim()}`;
    paragraphs.push(paragraph);
    length += paragraph.length + 2;
  }
  return paragraphs.join("\n\n");
}
