/**
 * A lean Slack Web API double for the bench and the drills. test/support/slack-api.ts records every
 * call and filters the whole list on each wait (O(n²) over 100,000 posts); this one keeps only a
 * count of chat.postMessage calls per thread and hands each post to a hook.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BOT_ID, BOT_USER, TEAM } from "../support/slack-events.js";

export interface SlackPost {
  threadTs: string;
  text: string;
  /** performance.now() when the post arrived (body read). */
  at: number;
}

export interface SlackCounter {
  /** Base URL with the trailing slash @slack/web-api wants (SLACK_API_URL). */
  url: string;
  botToken: string;
  /** chat.postMessage calls accepted (not the ones answered 429). */
  readonly posts: number;
  /** Threads with at least one post. */
  readonly threads: number;
  /** Posts in one thread. */
  postsIn(threadTs: string): number;
  /** Threads with more than one post. */
  threadsPostedTwice(): number;
  /** Called for every accepted post. */
  onPost: ((post: SlackPost) => void) | null;
  /** The next `times` calls to `method` answer 429 with Retry-After. */
  rateLimit(method: string, times: number, retryAfterSeconds: number): void;
  /** Calls answered 429 so far. */
  readonly rateLimited: number;
  /** Posts hang (unanswered; not carried out when the bridge gives up on them) until the returned function runs. */
  holdPosts(): () => void;
  /** Posts and auth.test answer `{ok: false, error: code}` (posts only the next `postTimes`) until `restore` runs. */
  revokeToken(code: string, postTimes: number): () => void;
  /** Forgets the counts (between runs). */
  reset(): void;
  close(): Promise<void>;
}

export const BENCH_BOT_TOKEN = "xoxb-bench-0000-not-a-real-token";

export async function startSlackCounter(): Promise<SlackCounter> {
  const counts = new Map<string, number>();
  const limits = new Map<string, { times: number; retryAfter: number }>();
  let posts = 0;
  let rateLimited = 0;
  let ts = 0;
  /** The metadata keys posted in each thread (what conversations.replies shows a look-up). */
  const markers = new Map<string, string[]>();
  let hold: Promise<void> | null = null;
  let revoked: { code: string; postTimes: number } | null = null;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const method = (req.url ?? "").split("?")[0]?.replace(/^\/api\//, "") ?? "";
    if (method === "chat.postMessage" && hold) {
      // A hung post whose caller gave up meanwhile was never carried out.
      void hold.then(() => {
        if (!res.destroyed && res.socket?.destroyed === false) handle(req, res, raw);
      });
      return;
    }
    if (revoked && (method === "auth.test" || (method === "chat.postMessage" && revoked.postTimes > 0))) {
      if (method === "chat.postMessage") revoked.postTimes--;
      send(res, 200, { ok: false, error: revoked.code });
      return;
    }
    if (method === "conversations.replies") {
      const args = parseArgs(raw, req.headers["content-type"] ?? "");
      const keys = markers.get(args.get("ts") ?? "") ?? [];
      const messages = keys.map((key, i) => ({
        type: "message",
        bot_id: BOT_ID,
        ts: `${1_800_000_000 + i}.000200`,
        metadata: { event_type: "bridge_reply", event_payload: { key } },
      }));
      send(res, 200, { ok: true, has_more: false, messages });
      return;
    }
    const limit = limits.get(method);
    if (limit && limit.times > 0) {
      limit.times--;
      rateLimited++;
      send(res, 429, { ok: false, error: "ratelimited" }, { "retry-after": String(limit.retryAfter) });
      return;
    }
    if (method === "auth.test") {
      send(res, 200, {
        ok: true,
        team_id: TEAM,
        user_id: BOT_USER,
        bot_id: BOT_ID,
        user: "bridge",
        team: "Bench",
      });
      return;
    }
    if (method !== "chat.postMessage") {
      // reactions.add/remove (the working indicator) and anything else: accepted, not counted.
      send(res, 200, { ok: true });
      return;
    }
    const args = parseArgs(raw, req.headers["content-type"] ?? "");
    const threadTs = args.get("thread_ts") ?? "";
    posts++;
    counts.set(threadTs, (counts.get(threadTs) ?? 0) + 1);
    const key = markerKey(args.get("metadata"));
    if (key !== null) markers.set(threadTs, [...(markers.get(threadTs) ?? []), key]);
    counter.onPost?.({ threadTs, text: args.get("text") ?? "", at: performance.now() });
    ts++;
    send(res, 200, { ok: true, channel: args.get("channel"), ts: `${1_800_000_000 + ts}.000100` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const counter: SlackCounter = {
    url: `http://127.0.0.1:${port}/api/`,
    botToken: BENCH_BOT_TOKEN,
    get posts() {
      return posts;
    },
    get threads() {
      return counts.size;
    },
    postsIn: (threadTs) => counts.get(threadTs) ?? 0,
    threadsPostedTwice() {
      let twice = 0;
      for (const count of counts.values()) if (count > 1) twice++;
      return twice;
    },
    onPost: null,
    rateLimit(method, times, retryAfterSeconds) {
      limits.set(method, { times, retryAfter: retryAfterSeconds });
    },
    get rateLimited() {
      return rateLimited;
    },
    holdPosts() {
      let release = () => {};
      hold = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        hold = null;
        release();
      };
    },
    revokeToken(code, postTimes) {
      revoked = { code, postTimes };
      return () => {
        revoked = null;
      };
    },
    reset() {
      counts.clear();
      markers.clear();
      hold = null;
      revoked = null;
      limits.clear();
      posts = 0;
      rateLimited = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return counter;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers })
    .end(JSON.stringify(body));
}

/** The bridge's marker in a post's metadata (see adapters/slack/poster.ts). */
function markerKey(metadata: string | undefined): string | null {
  try {
    const key = (JSON.parse(metadata ?? "") as { event_payload?: { key?: unknown } }).event_payload?.key;
    return typeof key === "string" ? key : null;
  } catch {
    return null;
  }
}

/** @slack/web-api posts forms; JSON is accepted too. */
function parseArgs(raw: string, contentType: string): Map<string, string> {
  if (!contentType.includes("application/json")) return new Map(new URLSearchParams(raw));
  const parsed = JSON.parse(raw) as Record<string, unknown>;
  return new Map(
    Object.entries(parsed).map(([key, value]) => [
      key,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}
