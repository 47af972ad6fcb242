import type { ServerResponse } from "node:http";
import { BoundedMap } from "../collections/bounded-map.js";

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

/** The simulator's own answer: shows that it remembers the session. */
export function normalAnswer(request: SimulatorRequest): string {
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
  "| Plan | Seats | Price |\n| --- | ---: | ---: |\n| Starter | 5 | $0 |\n| Team | 50 | $99 |",
].join("\n\n");

/**
 * The demo triggers with one memory: `#429` answers 429 once per message and session, and its retry
 * succeeds, so it shows the bridge waiting for Retry-After and retrying (not a failure).
 */
export function demoScript(): (request: SimulatorRequest) => Scripted | undefined {
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

/** What the routes of both contracts share. */
export interface SimulatorContext {
  latencyMs: number;
  /** The base URL, once listening (list pages link to it). */
  baseUrl(): string;
  /** Records the request and says what to answer. */
  scriptFor(request: SimulatorRequest): Scripted;
  /** Leaves the answer hanging until the client gives up or the simulator closes. */
  hang(res: ServerResponse): void;
}
