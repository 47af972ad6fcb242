import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "../../src/http/read-body.js";

/** One Web API call the double received. */
export interface SlackCall {
  method: string;
  args: Record<string, string>;
  /** The bearer token the call carried. */
  token: string | null;
  /** The HTTP status the double answered with. */
  status: number;
}

export interface FakeSlackUser {
  name: string;
  realName?: string;
  displayName?: string;
  email?: string;
}

export interface SlackApiOptions {
  botToken: string;
  /** The app-level token apps.connections.open accepts. */
  appToken?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  users?: Record<string, FakeSlackUser>;
  /** What apps.connections.open hands out (a local WebSocket server). */
  socketUrl?: string;
  /** Delay before every answer (ms). */
  latencyMs?: number;
  // --- hardening (issue 11) ---
  /** Listen on this port (a test that first finds it refused). @default a free one */
  port?: number;
  // --- end hardening ---
}

// --- hardening (issue 11): faults of a misbehaving Slack ---
/** A message chat.postMessage carried out (also when its answer came late or as an error). */
export interface PostedMessage {
  channel: string;
  thread_ts: string | undefined;
  text: string;
  ts: string;
  metadata: unknown;
}

export interface SlackFaults {
  /** Messages chat.postMessage carried out, in order. */
  readonly messages: readonly PostedMessage[];
  /** The next `times` posts are carried out at once but answered only after `delayMs`. */
  answerLate(times: number, delayMs: number): void;
  /** The next `times` calls to `method` answer HTTP `status`; `carriedOut` posts the message first. */
  httpError(method: string, status: number, times: number, carriedOut?: boolean): void;
  /** The next `times` posts to `channel` get 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitChannel(channel: string, times: number, retryAfterSeconds: number): void;
  /** Posts to `channel` fail with `error` (until cleared with `times` 0). */
  failChannel(channel: string, error: string, times?: number): void;
  /** Posts with more than `chars` characters of text fail with msg_too_long. */
  maxTextChars(chars: number): void;
  /** Posts to `channel` hang (unanswered, not carried out) until the returned function is called. */
  holdChannel(channel: string): () => void;
}
// --- end hardening ---

export interface RunningSlackApi extends SlackFaults {
  /** Base URL with the trailing slash @slack/web-api wants (SLACK_API_URL). */
  url: string;
  readonly calls: readonly SlackCall[];
  /** The calls of one method, in order. */
  callsTo(method: string): SlackCall[];
  /** Resolves once `count` calls to `method` have been answered. */
  waitFor(method: string, count: number, timeoutMs?: number): Promise<SlackCall[]>;
  /** The next `times` calls to `method` get 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit(method: string, times: number, retryAfterSeconds: number): void;
  /** The next `times` calls to `method` answer `{ ok: false, error }`. */
  fail(method: string, error: string, times?: number): void;
  /** Holds answers to `method` until the returned function is called. */
  hold(method: string): () => void;
  /** Puts messages (the parent included) in a thread, as people wrote them before the bot was asked. */
  seedThread(channel: string, thread: string, messages: Array<Record<string, unknown>>): void;
  /** Lets every held answer go (so a failed test still shuts down). */
  releaseHolds(): void;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for the Slack Web API: answers the methods the bridge uses the way Slack does
 * (`ok`, `error`, 429 with Retry-After) and records every call, so tests assert on what was posted.
 */
export async function startSlackApi(options: SlackApiOptions): Promise<RunningSlackApi> {
  const teamId = options.teamId ?? "T0TEAM";
  const botUserId = options.botUserId ?? "U0BOT";
  const botId = options.botId ?? "B0BOT";
  const calls: SlackCall[] = [];
  const waiters: Array<{ method: string; count: number; resolve: () => void }> = [];
  const limits = new Map<string, { times: number; retryAfter: number }>();
  const failures = new Map<string, { times: number; error: string }>();
  const holds = new Map<string, Promise<void>>();
  const releases = new Set<() => void>();
  let counter = 0;
  // --- hardening (issue 11) ---
  const messages: PostedMessage[] = [];
  let late = { times: 0, delayMs: 0 };
  const httpErrors = new Map<string, { status: number; times: number; carriedOut: boolean }>();
  const channelLimits = new Map<string, { times: number; retryAfter: number }>();
  const channelFailures = new Map<string, { error: string; times: number }>();
  let maxChars = Number.POSITIVE_INFINITY;
  const channelHolds = new Map<string, Promise<void>>();
  /** Thread messages conversations.replies returns besides the bot's posts, by `channel/thread`. */
  const seeded = new Map<string, Array<Record<string, unknown>>>();

  /** A fault to answer with instead of the normal answer, or null. */
  async function fault(res: ServerResponse, call: Omit<SlackCall, "status">): Promise<"answered" | null> {
    const { method, args } = call;
    const httpError = httpErrors.get(method);
    if (httpError && httpError.times > 0) {
      httpError.times--;
      if (httpError.carriedOut) respond(method, args);
      calls.push({ ...call, status: httpError.status });
      res.writeHead(httpError.status, { "content-type": "text/html" }).end("<html>upstream trouble</html>");
      return "answered";
    }
    if (method !== "chat.postMessage") return null;
    const channel = args.channel ?? "";
    const held = channelHolds.get(channel);
    if (held) {
      await held;
      // A hung post whose caller gave up was never carried out (what the hold stands for).
      if (res.destroyed || res.socket?.destroyed !== false) {
        calls.push({ ...call, status: 0 });
        return "answered";
      }
    }
    const limit = channelLimits.get(channel);
    if (limit && limit.times > 0) {
      limit.times--;
      answer(
        res,
        call,
        429,
        { ok: false, error: "ratelimited" },
        { "retry-after": String(limit.retryAfter) },
      );
      return "answered";
    }
    const failure = channelFailures.get(channel);
    if (failure && failure.times > 0) {
      failure.times--;
      answer(res, call, 200, { ok: false, error: failure.error });
      return "answered";
    }
    if ((args.text ?? "").length > maxChars) {
      answer(res, call, 200, { ok: false, error: "msg_too_long" });
      return "answered";
    }
    if (late.times > 0) {
      late.times--;
      const body = respond(method, args);
      await new Promise((resolve) => setTimeout(resolve, late.delayMs));
      if (!res.destroyed) answer(res, call, 200, body);
      return "answered";
    }
    return null;
  }
  // --- end hardening ---

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.url ?? "").split("?")[0]?.replace(/^\/api\//, "") ?? "";
    const args = parseBody(await readBody(req), req.headers["content-type"] ?? "");
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? args.token ?? null;
    if (options.latencyMs) await new Promise((resolve) => setTimeout(resolve, options.latencyMs));
    await holds.get(method);
    if ((await fault(res, { method, args, token: bearer })) !== null) return;
    const limit = limits.get(method);
    if (limit && limit.times > 0) {
      limit.times--;
      return answer(
        res,
        { method, args, token: bearer },
        429,
        { ok: false, error: "ratelimited" },
        {
          "retry-after": String(limit.retryAfter),
        },
      );
    }
    const failure = failures.get(method);
    if (failure && failure.times > 0) {
      failure.times--;
      return answer(res, { method, args, token: bearer }, 200, { ok: false, error: failure.error });
    }
    const expected = method === "apps.connections.open" ? options.appToken : options.botToken;
    if (bearer !== expected) {
      return answer(res, { method, args, token: bearer }, 200, { ok: false, error: "invalid_auth" });
    }
    answer(res, { method, args, token: bearer }, 200, respond(method, args));
  }

  function respond(method: string, args: Record<string, string>): Record<string, unknown> {
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: "https://test.slack.com/",
          team: "Test",
          user: "bridge",
          team_id: teamId,
          user_id: botUserId,
          bot_id: botId,
        };
      case "chat.postMessage": {
        if (!args.text && !args.blocks && !args.markdown_text) return { ok: false, error: "no_text" };
        counter++;
        const ts = `${1_800_000_000 + counter}.000100`;
        const metadata = args.metadata ? (JSON.parse(args.metadata) as unknown) : undefined;
        messages.push({
          channel: args.channel ?? "",
          thread_ts: args.thread_ts,
          text: args.text ?? "",
          ts,
          metadata,
        });
        return {
          ok: true,
          channel: args.channel,
          ts,
          message: {
            type: "message",
            text: args.text,
            user: botUserId,
            bot_id: botId,
            ts,
            thread_ts: args.thread_ts,
          },
        };
      }
      case "conversations.replies": {
        // Slack's ts are seconds; the double's posts use a counter, so "oldest" is ignored here.
        const inThread = messages.filter((m) => m.channel === args.channel && m.thread_ts === args.ts);
        const withMetadata = args.include_all_metadata === "true";
        const posted = inThread.map((m) => ({
          type: "message",
          user: botUserId,
          bot_id: botId,
          text: m.text,
          ts: m.ts,
          thread_ts: m.thread_ts,
          ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
        }));
        // Like Slack: oldest first from the parent, `limit` a page, then `response_metadata.next_cursor`.
        const all = [...(seeded.get(`${args.channel}/${args.ts}`) ?? []), ...posted].sort((a, b) =>
          String(a.ts).localeCompare(String(b.ts)),
        );
        const from = Number(args.cursor ?? 0);
        const to = from + Number(args.limit ?? 1_000);
        const more = to < all.length;
        return {
          ok: true,
          has_more: more,
          messages: all.slice(from, to),
          ...(more ? { response_metadata: { next_cursor: String(to) } } : {}),
        };
      }
      case "chat.postEphemeral":
        if (!args.channel || !args.user || !args.text) return { ok: false, error: "invalid_arguments" };
        return { ok: true, message_ts: `${1_800_000_000 + ++counter}.000200` };
      case "views.open":
        if (!args.trigger_id || !args.view) return { ok: false, error: "invalid_arguments" };
        return { ok: true, view: { ...(JSON.parse(args.view) as object), id: `V${++counter}` } };
      case "reactions.add":
      case "reactions.remove":
        return { ok: true };
      case "users.info": {
        const user = args.user ? options.users?.[args.user] : undefined;
        if (!user) return { ok: false, error: "user_not_found" };
        return {
          ok: true,
          user: {
            id: args.user,
            team_id: teamId,
            name: user.name,
            real_name: user.realName ?? user.name,
            profile: {
              display_name: user.displayName ?? "",
              real_name: user.realName ?? user.name,
              ...(user.email ? { email: user.email } : {}),
            },
          },
        };
      }
      // --- issue 13: the agent messaging surface (suggested prompts, thread status) ---
      case "assistant.threads.setSuggestedPrompts":
        return args.channel_id && args.prompts ? { ok: true } : { ok: false, error: "invalid_arguments" };
      case "assistant.threads.setStatus":
        return args.channel_id && args.thread_ts && args.status !== undefined
          ? { ok: true }
          : { ok: false, error: "invalid_arguments" };
      // --- end issue 13 ---
      case "apps.connections.open":
        return options.socketUrl
          ? { ok: true, url: options.socketUrl }
          : { ok: false, error: "internal_error" };
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  function answer(
    res: ServerResponse,
    call: Omit<SlackCall, "status">,
    status: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): void {
    calls.push({ ...call, status });
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(text);
    for (const waiter of waiters.slice()) {
      if (calls.filter((c) => c.method === waiter.method).length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const callsTo = (method: string) => calls.filter((call) => call.method === method);
  return {
    url: `http://127.0.0.1:${port}/api/`,
    // --- hardening (issue 11) ---
    messages,
    answerLate(times, delayMs) {
      late = { times, delayMs };
    },
    httpError(method, status, times, carriedOut = false) {
      httpErrors.set(method, { status, times, carriedOut });
    },
    rateLimitChannel(channel, times, retryAfterSeconds) {
      channelLimits.set(channel, { times, retryAfter: retryAfterSeconds });
    },
    failChannel(channel, error, times = Number.POSITIVE_INFINITY) {
      channelFailures.set(channel, { error, times });
    },
    maxTextChars(chars) {
      maxChars = chars;
    },
    holdChannel(channel) {
      let release = () => {};
      channelHolds.set(
        channel,
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      );
      const releaseHold = () => {
        channelHolds.delete(channel);
        releases.delete(releaseHold);
        release();
      };
      releases.add(releaseHold);
      return releaseHold;
    },
    // --- end hardening ---
    calls,
    callsTo,
    waitFor(method, count, timeoutMs = 5_000) {
      if (callsTo(method).length >= count) return Promise.resolve(callsTo(method));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`expected ${count} ${method} call(s), got ${callsTo(method).length}`));
        }, timeoutMs);
        waiters.push({
          method,
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(callsTo(method));
          },
        });
      });
    },
    rateLimit(method, times, retryAfterSeconds) {
      limits.set(method, { times, retryAfter: retryAfterSeconds });
    },
    fail(method, error, times = 1) {
      failures.set(method, { times, error });
    },
    hold(method) {
      let resolveHold = () => {};
      holds.set(
        method,
        new Promise<void>((resolve) => {
          resolveHold = resolve;
        }),
      );
      const release = () => {
        holds.delete(method);
        releases.delete(release);
        resolveHold();
      };
      releases.add(release);
      return release;
    },
    seedThread(channel, thread, threadMessages) {
      const key = `${channel}/${thread}`;
      seeded.set(key, [...(seeded.get(key) ?? []), ...threadMessages]);
    },
    releaseHolds() {
      for (const release of [...releases]) release();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseBody(raw: string, contentType: string): Record<string, string> {
  if (raw === "") return {};
  if (contentType.includes("application/json")) {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(parsed).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
  }
  return Object.fromEntries(new URLSearchParams(raw));
}
