import { EventEmitter } from "node:events";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "../../src/http/read-body.js";
import { BOT_USER, messagePayload, snowflake } from "./discord-ids.js";

/** One request the REST double received. */
export interface RestCall {
  method: string;
  /** Without the `/api/v10` prefix, e.g. `/channels/123/messages`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | null;
}

/** A message the double "created" (a POST that was not a nonce duplicate). */
export interface CreatedMessage {
  id: string;
  channelId: string;
  content: string;
  nonce: unknown;
  body: Record<string, unknown>;
}

// --- issue 13: slash commands and interaction replies ---

/** One interaction as the double keeps it: its reply (after a callback) and its follow-ups. */
export interface InteractionRecord {
  id: string;
  channelId: string;
  /** The callbacks' bodies, in order (Discord accepts only the first). */
  callbacks: Array<Record<string, unknown>>;
  /** The reply the callback created, edited by PATCH @original; null before a callback or once deleted. */
  original: { id: string; content: string; flags: number; edits: number } | null;
  deleted: boolean;
  followUps: Array<{ id: string; content: string; flags: number }>;
  /** The webhook routes answer 401 (Invalid Webhook Token), as after the token's 15 minutes. */
  expired: boolean;
}

// --- end issue 13 ---

export type RestResponse = {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Do what the call asks anyway (e.g. create the message), then answer with this: a lost response. */
  afterEffect?: boolean;
};
/** Answers a call instead of the double's normal behaviour; undefined lets the double answer. */
export type RestOverride = (call: RestCall) => RestResponse | undefined;

export interface DiscordRestDouble {
  /** The DISCORD_API_URL to use (without /v10, as discord.js wants it). */
  url: string;
  readonly calls: readonly RestCall[];
  readonly created: readonly CreatedMessage[];
  /** Messages returned by GET /channels/:id/messages, newest first (as Discord returns them). */
  history: Map<string, Array<Record<string, unknown>>>;
  /** Adds a message to a channel's history (the harness does it for every message it dispatches). */
  remember(channelId: string, message: Record<string, unknown>): void;
  /** `guildId:userId` pairs that GET /guilds/:g/members/:u finds. */
  members: Set<string>;
  /** Channels returned by GET /channels/:id. */
  channels: Map<string, unknown>;
  override: RestOverride | null;
  // --- issue 13: slash commands and interaction replies ---
  /** Registered commands per scope: "global" or a guild id (what GET returns, what PUT replaced). */
  commands: Map<string, Array<Record<string, unknown>>>;
  /** Interactions the harness dispatched, by token: what the bot answered through each. */
  interactions: Map<string, InteractionRecord>;
  // --- end issue 13 ---
  /** Resolves with the created messages of `channelId` once there are at least `count`. */
  messagesIn(channelId: string, count: number, timeoutMs?: number): Promise<CreatedMessage[]>;
  /** Resolves with the calls matching `match` once there are at least `count`. */
  waitForCalls(match: (call: RestCall) => boolean, count: number, timeoutMs?: number): Promise<RestCall[]>;
  close(): Promise<void>;
}

export interface RestDoubleOptions {
  /** The one server of the tests (threads are created in it). */
  guildId: string;
  /** What GET /gateway/bot hands out. */
  gatewayUrl: () => string;
  /** Called after a thread was started (the harness then dispatches THREAD_CREATE, as Discord does). */
  onThreadCreated?: (thread: Record<string, unknown>) => void;
}

const PREFIX = "/api/v10";

/** A loopback stand-in for the Discord REST API: records every call, answers the few the bot makes. */
export async function startDiscordRest(options: RestDoubleOptions): Promise<DiscordRestDouble> {
  const calls: RestCall[] = [];
  const created: CreatedMessage[] = [];
  const events = new EventEmitter();
  const noncesSeen = new Map<string, CreatedMessage>();
  const threads = new Set<string>();

  const double: DiscordRestDouble = {
    url: "",
    calls,
    created,
    history: new Map(),
    commands: new Map(),
    interactions: new Map(),
    members: new Set(),
    channels: new Map(),
    override: null,
    remember(channelId, message) {
      const history = double.history.get(channelId) ?? [];
      history.unshift(message);
      double.history.set(channelId, history);
    },
    messagesIn: (channelId, count, timeoutMs) =>
      waitUntil(events, timeoutMs, `${count} message(s) in channel ${channelId}`, () => {
        const found = created.filter((m) => m.channelId === channelId);
        return found.length >= count ? found : undefined;
      }),
    waitForCalls: (match, count, timeoutMs) =>
      waitUntil(events, timeoutMs, `${count} matching REST call(s)`, () => {
        const found = calls.filter(match);
        return found.length >= count ? found : undefined;
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  function answer(call: RestCall): RestResponse {
    const fromOverride = double.override?.(call);
    if (fromOverride && !fromOverride.afterEffect) return fromOverride;
    const normal = normalAnswer(call);
    return fromOverride ?? normal;
  }

  function normalAnswer(call: RestCall): RestResponse {
    const { method, path } = call;
    const forCommands = commandsAnswer(call);
    if (forCommands) return forCommands;
    if (method === "GET" && path === "/gateway/bot") {
      return {
        status: 200,
        body: {
          url: options.gatewayUrl(),
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 60_000, max_concurrency: 1 },
        },
      };
    }
    if (method === "GET" && path === "/users/@me") return { status: 200, body: BOT_USER };
    let match = /^\/channels\/(\d+)\/messages$/.exec(path);
    if (match && method === "POST")
      return { status: 200, body: createMessage(match[1] ?? "", call.body ?? {}) };
    if (match && method === "GET") {
      const limit = Number(call.query.get("limit") ?? 50);
      const before = call.query.get("before");
      const history = (double.history.get(match[1] ?? "") ?? []).filter(
        (message) => before === null || BigInt(String(message.id)) < BigInt(before),
      );
      return { status: 200, body: history.slice(0, limit) };
    }
    match = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path);
    if (match && method === "GET") {
      const found = double.history.get(match[1] ?? "")?.find((message) => message.id === match?.[2]);
      return found ? { status: 200, body: found } : notFound(10008, "Unknown Message");
    }
    match = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    if (match && method === "POST") return { status: 204 };
    match = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(path);
    if (match && (method === "PATCH" || method === "POST")) {
      // An interaction's reply or follow-up: a message of the bot's, as Discord returns it.
      return {
        status: 200,
        body: messagePayload({
          id: snowflake(),
          channel_id: "0",
          content: typeof call.body?.content === "string" ? call.body.content : "",
          author: BOT_USER,
          components: call.body?.components ?? [],
          flags: call.body?.flags ?? 0,
        }),
      };
    }
    match = /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/.exec(path);
    if (match && method === "PUT") return { status: 204 };
    match = /^\/channels\/(\d+)\/typing$/.exec(path);
    if (match && method === "POST") return { status: 204 };
    match = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path);
    if (match && method === "POST") {
      if (threads.has(match[2] ?? "")) {
        return {
          status: 400,
          body: { code: 160004, message: "A thread has already been created for this message" },
        };
      }
      threads.add(match[2] ?? "");
      return { status: 201, body: createThread(match[1] ?? "", match[2] ?? "", call) };
    }
    match = /^\/channels\/(\d+)$/.exec(path);
    if (match && method === "GET") {
      const channel = double.channels.get(match[1] ?? "");
      return channel ? { status: 200, body: channel } : notFound(10003, "Unknown Channel");
    }
    match = /^\/guilds\/(\d+)\/members\/(\d+)$/.exec(path);
    if (match && method === "GET") {
      return double.members.has(`${match[1]}:${match[2]}`)
        ? { status: 200, body: { user: { id: match[2] }, roles: [], joined_at: new Date().toISOString() } }
        : notFound(10007, "Unknown Member");
    }
    return notFound(0, `The REST double does not know ${method} ${path}`);
  }

  // --- issue 13: slash commands and interaction replies ---

  /** Commands registration, interaction callbacks and the interaction webhook; undefined for other routes. */
  function commandsAnswer(call: RestCall): RestResponse | undefined {
    const { method, path } = call;
    let match = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path);
    if (match) {
      const scope = match[2] ?? "global";
      if (method === "GET") return { status: 200, body: double.commands.get(scope) ?? [] };
      if (method === "PUT") {
        const registered = (
          Array.isArray(call.body) ? (call.body as Array<Record<string, unknown>>) : []
        ).map((command) => ({
          // What Discord adds: ids, a version, defaults the bridge did not set.
          id: snowflake(),
          application_id: match?.[1],
          version: snowflake(),
          default_member_permissions: null,
          nsfw: false,
          ...(scope === "global" ? {} : { guild_id: scope }),
          ...command,
        }));
        double.commands.set(scope, registered);
        return { status: 200, body: registered };
      }
    }
    match = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path);
    if (match && method === "POST") {
      const record = double.interactions.get(match[2] ?? "");
      // Not a command this double dispatched (a button click): the plain answer below serves it.
      if (!record) return undefined;
      if (record.id !== match[1]) return notFound(10062, "Unknown interaction");
      record.callbacks.push(call.body ?? {});
      if (record.callbacks.length > 1) {
        return { status: 400, body: { code: 40060, message: "Interaction has already been acknowledged." } };
      }
      const data = (call.body?.data ?? {}) as { content?: string; flags?: number };
      // Type 5 shows "<bot> is thinking…" (flag 128, loading) until the reply is edited.
      const deferred = call.body?.type === 5;
      record.original = {
        id: snowflake(),
        content: deferred ? "" : (data.content ?? ""),
        flags: deferred ? 128 : (data.flags ?? 0),
        edits: 0,
      };
      return { status: 204 };
    }
    match = /^\/webhooks\/(\d+)\/([^/]+)(\/messages\/(?:@|%40)original)?$/.exec(path);
    if (match) {
      const record = double.interactions.get(match[2] ?? "");
      if (!record) return undefined;
      if (record.expired) return { status: 401, body: { code: 50027, message: "Invalid Webhook Token" } };
      const original = record.original;
      if (match[3]) {
        if (!original) return notFound(10008, "Unknown Message");
        const asMessage = () =>
          messagePayload({
            id: original.id,
            channel_id: record.channelId,
            content: original.content,
            author: BOT_USER,
          });
        if (method === "GET") return { status: 200, body: asMessage() };
        if (method === "PATCH") {
          original.content = String(call.body?.content ?? original.content);
          original.flags &= ~128;
          original.edits++;
          return { status: 200, body: asMessage() };
        }
        if (method === "DELETE") {
          record.original = null;
          record.deleted = true;
          return { status: 204 };
        }
      } else if (method === "POST") {
        if (!original && !record.deleted) return notFound(10015, "Unknown Webhook");
        const message = {
          id: snowflake(),
          content: String(call.body?.content ?? ""),
          flags: Number(call.body?.flags ?? 0),
        };
        record.followUps.push(message);
        return {
          status: 200,
          body: messagePayload({
            id: message.id,
            channel_id: record.channelId,
            content: message.content,
            author: BOT_USER,
          }),
        };
      }
    }
    return undefined;
  }

  // --- end issue 13 ---

  /** Like Discord with `enforce_nonce`: the same nonce again returns the first message, posts nothing. */
  function createMessage(channelId: string, body: Record<string, unknown>): unknown {
    const nonce = body.nonce;
    const key = `${channelId}:${String(nonce)}`;
    const earlier = body.enforce_nonce === true && nonce !== undefined ? noncesSeen.get(key) : undefined;
    const message = earlier ?? {
      id: snowflake(),
      channelId,
      content: typeof body.content === "string" ? body.content : "",
      nonce,
      body,
    };
    const stored = messagePayload({
      id: message.id,
      channel_id: channelId,
      content: message.content,
      author: BOT_USER,
      nonce,
    });
    if (!earlier) {
      created.push(message);
      if (body.enforce_nonce === true && nonce !== undefined) noncesSeen.set(key, message);
      double.remember(channelId, stored);
    }
    return stored;
  }

  function createThread(channelId: string, messageId: string, call: RestCall): unknown {
    const thread = {
      id: messageId,
      type: 11,
      guild_id: options.guildId,
      parent_id: channelId,
      owner_id: BOT_USER.id,
      name: call.body?.name,
      last_message_id: null,
      rate_limit_per_user: 0,
      message_count: 0,
      member_count: 1,
      thread_metadata: {
        archived: false,
        auto_archive_duration: call.body?.auto_archive_duration ?? 1440,
        archive_timestamp: new Date().toISOString(),
        locked: false,
      },
    };
    options.onThreadCreated?.(thread);
    return thread;
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const text = await readBody(req);
    const call: RestCall = {
      method: req.method ?? "GET",
      path: url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
    };
    calls.push(call);
    const response = answer(call);
    const body = response.body === undefined ? "" : JSON.stringify(response.body);
    res.writeHead(response.status, {
      ...(body ? { "content-type": "application/json" } : {}),
      ...response.headers,
    });
    res.end(body);
    events.emit("change");
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  double.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  return double;
}

function notFound(code: number, message: string): RestResponse {
  return { status: 404, body: { code, message } };
}

/** Resolves with `check()`'s value once it has one; fails the test with `what` after `timeoutMs`. */
export function waitUntil<T>(
  events: EventEmitter,
  timeoutMs: number | undefined,
  what: string,
  check: () => T | undefined,
): Promise<T> {
  const now = check();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const onChange = () => {
      const value = check();
      if (value === undefined) return;
      clearTimeout(timer);
      events.off("change", onChange);
      resolve(value);
    };
    const timer = setTimeout(() => {
      events.off("change", onChange);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs ?? 5000);
    events.on("change", onChange);
  });
}
