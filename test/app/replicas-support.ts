/**
 * Several bridge replicas (the real entry point, run through tsx) sharing one Redis and prefix, one
 * Slack Web API double and one Twilio double, for the multi-process tests of test/app/replicas.test.ts.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "redis";
import { simulatorCredentials, startSimulator } from "../../src/simulator/server.js";
import { RedisKeys } from "../../src/state/keys.js";
import {
  BRIDGE_SOURCE_MAIN,
  type Child,
  listeningLine,
  spawnNode,
  TSX,
  waitFor200,
} from "../bench/processes.js";
import { type RunningSlackApi, startSlackApi } from "../support/slack-api.js";
import { BOT_USER, envelope, mentionEvent, postSigned } from "../support/slack-events.js";
import { ASSISTANT_ID, BOT_TOKEN, SIGNING_SECRET } from "./support.js";

const TEXT_PREFIX = "answer: ";

/** One assistant call as the Twilio double saw it. */
export interface AssistantCall {
  /** Index of the replica that made it (each replica has an endpoint of its own). */
  replica: number;
  sessionId: string;
  body: string;
  /** performance.now() when the request arrived. */
  at: number;
  /** performance.now() when the simulator's answer was complete; null while in flight. */
  endedAt: number | null;
}

/**
 * The Twilio double: the offline simulator behind one small relay per replica, so that every call is
 * attributed to the replica that made it and timed from arrival to answer, in one log of calls.
 * Every answer is `answer: <question>`, after `latencyMs`.
 */
export interface TwilioDouble {
  readonly calls: AssistantCall[];
  /** Called as each request arrives, before it is relayed (a test may kill its replica here). */
  onCall: ((call: AssistantCall) => void) | null;
  /** The TWILIO_* variables of replica `index`. */
  envFor(index: number): Record<string, string>;
  close(): Promise<void>;
}

async function startTwilioDouble(replicas: number, latencyMs: number): Promise<TwilioDouble> {
  const credentials = simulatorCredentials();
  const simulator = await startSimulator({
    ...credentials,
    assistantId: ASSISTANT_ID,
    script: (request) => ({ kind: "answer", body: `${TEXT_PREFIX}${request.body}`, delayMs: latencyMs }),
  });
  const calls: AssistantCall[] = [];
  const relays: Server[] = [];
  const urls: string[] = [];
  const double: TwilioDouble = {
    calls,
    onCall: null,
    envFor(index) {
      const url = urls[index];
      if (url === undefined) throw new Error(`no Twilio endpoint for replica ${index}`);
      return {
        TWILIO_ACCOUNT_SID: credentials.accountSid,
        TWILIO_AUTH_TOKEN: credentials.authToken,
        TWILIO_ASSISTANT_ID: ASSISTANT_ID,
        TWILIO_ASSISTANTS_URL: url,
      };
    },
    async close() {
      for (const relay of relays) relay.closeAllConnections();
      await Promise.all(relays.map((relay) => new Promise((resolve) => relay.close(resolve))));
      await simulator.close();
    },
  };
  const relay = (replica: number) =>
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const raw = Buffer.concat(chunks);
        const fields = parseFields(raw.toString("utf8"));
        const call: AssistantCall = {
          replica,
          sessionId: fields.session_id ?? "",
          body: fields.body ?? "",
          at: performance.now(),
          endedAt: null,
        };
        calls.push(call);
        double.onCall?.(call);
        const upstream = request(
          new URL(req.url ?? "/", simulator.url),
          { method: req.method, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.on("end", () => {
              call.endedAt = performance.now();
            });
            answer.pipe(res);
          },
        );
        upstream.on("error", () => res.destroy());
        upstream.end(raw);
      });
    });
  for (let replica = 0; replica < replicas; replica++) {
    const server = relay(replica);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    relays.push(server);
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return double;
}

/** `session_id` and `body` of a Twilio request (strings only; anything else reads as absent). */
function parseFields(raw: string): Record<string, string> {
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    return Object.fromEntries(
      Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
  } catch {
    return {};
  }
}

export interface Replica {
  index: number;
  child: Child;
  url: string;
}

export interface ClusterOptions {
  redisUrl: string;
  /** One per test, so tests never see each other's keys. */
  prefix: string;
  /** @default 2 */
  replicas?: number;
  /** Twilio double latency. @default 200 */
  latencyMs?: number;
  /** Extra environment of every replica (limits, lease time). */
  env?: Record<string, string>;
  /** Extra environment per replica index. */
  envOf?: (index: number) => Record<string, string>;
}

/** A mention posted to the bridge: its thread's ts and the envelope. */
export interface Sent {
  ts: string;
  body: Record<string, unknown>;
  status: number;
}

/** Each mention from a user of its own, so the per-user backpressure limit never refuses one. */
let users = 0;

/** The replicas, the doubles, and what a test asks of them. */
export class Cluster {
  readonly replicas: Replica[] = [];
  readonly slack: RunningSlackApi;
  readonly twilio: TwilioDouble;
  readonly #options: ClusterOptions;
  readonly #keys: RedisKeys;
  readonly #redis: TestRedisClient;

  private constructor(
    options: ClusterOptions,
    slack: RunningSlackApi,
    twilio: TwilioDouble,
    redis: TestRedisClient,
  ) {
    this.#options = options;
    this.slack = slack;
    this.twilio = twilio;
    this.#keys = new RedisKeys(options.prefix);
    this.#redis = redis;
  }

  /** Starts the doubles and every replica, and waits until each one is ready. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const slack = await startSlackApi({ botToken: BOT_TOKEN });
    const twilio = await startTwilioDouble(options.replicas ?? 2, options.latencyMs ?? 200);
    const redis = testRedisClient(options.redisUrl);
    await redis.connect();
    const cluster = new Cluster(options, slack, twilio, redis);
    try {
      await Promise.all(
        Array.from({ length: options.replicas ?? 2 }, (_, index) => cluster.#startReplica(index)),
      );
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  async #startReplica(index: number): Promise<void> {
    const child = await spawnNode({
      args: ["--import", TSX, BRIDGE_SOURCE_MAIN],
      env: {
        ...this.twilio.envFor(index),
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: this.slack.url,
        REDIS_URL: this.#options.redisUrl,
        REDIS_PREFIX: this.#options.prefix,
        PORT: "0",
        LOG_LEVEL: "info",
        ...this.#options.env,
        ...this.#options.envOf?.(index),
      },
      announce: listeningLine,
      keepLines: true,
      // tsx compiles the whole app at start: slow on a loaded machine.
      timeoutMs: 60_000,
    });
    const url = String(child.announcement.url);
    await waitFor200(`${url}/readyz`, 60_000, 50);
    this.replicas[index] = { index, child, url };
  }

  /** Replica `index`, or a clear error. */
  replica(index: number): Replica {
    const replica = this.replicas[index];
    if (replica === undefined) throw new Error(`replica ${index} is not running`);
    return replica;
  }

  /** Posts a fresh mention (its own thread, unless `thread` is given) to replica `index`. */
  async mention(index: number, text: string, thread?: string): Promise<Sent> {
    const event = mentionEvent({
      user: `U0REPLICA${++users}`,
      text: `<@${BOT_USER}> ${text}`,
      ...(thread === undefined ? {} : { thread_ts: thread }),
    });
    const body = envelope(event);
    return { ts: String(event.ts), body, status: await this.deliver(index, body) };
  }

  /** Delivers an envelope to replica `index` (a retry when `retryNum` is set); resolves with the status. */
  async deliver(index: number, body: Record<string, unknown>, retryNum?: number): Promise<number> {
    const options = { secret: SIGNING_SECRET, ...(retryNum === undefined ? {} : { retryNum }) };
    return (await postSigned(`${this.replica(index).url}/slack/events`, body, options)).status;
  }

  /** The texts posted in one thread, in order. */
  postsIn(thread: string): string[] {
    return this.slack
      .callsTo("chat.postMessage")
      .filter((call) => call.args.thread_ts === thread)
      .map((call) => call.args.text ?? "");
  }

  /** The questions of the assistant calls of one thread's session, in order. */
  callsIn(thread: string): AssistantCall[] {
    return this.twilio.calls.filter((call) => call.sessionId.endsWith(`/${thread}`));
  }

  /** Messages accepted and not completed, over every replica (the store's own count). */
  async pending(): Promise<number> {
    return Number((await this.#redis.hGet(this.#keys.pending, "all")) ?? 0);
  }

  /**
   * Keys that hold work in progress (queues, sessions, leases, ready lists, pending counts): none once
   * everything is answered; what stays is the dedupe keys, the follow-up memory and the rate window.
   */
  async workKeys(): Promise<string[]> {
    const found: string[] = [];
    const pattern = `${this.#options.prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    for await (const batch of this.#redis.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
      for (const key of batch) {
        const name = key.slice(this.#options.prefix.length);
        if (!/^(seen:|kv:|starts$|pause$)/.test(name)) found.push(name);
      }
    }
    return found.sort();
  }

  /** Resolves once every thread has a post and nothing is pending any more (so a second post would show). */
  async settled(threads: readonly string[], timeoutMs = 60_000): Promise<void> {
    await until(
      async () => threads.every((ts) => this.postsIn(ts).length > 0) && (await this.pending()) === 0,
      `replies in ${threads.length} threads and an empty queue`,
      timeoutMs,
    );
  }

  /** Stops every replica still running (SIGTERM, then SIGKILL), the doubles and the Redis client. */
  async close(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => replica.child.stop(5_000)));
    this.slack.releaseHolds();
    await this.slack.close();
    await this.twilio.close();
    this.#redis.destroy();
  }
}

/** The tests' own client: it reconnects after a restart of a private Redis, silently meanwhile. */
function testRedisClient(url: string) {
  const client = createClient({ url, socket: { reconnectStrategy: () => 200 } });
  client.on("error", () => {});
  return client;
}
type TestRedisClient = ReturnType<typeof testRedisClient>;

/** True when `text` is the Twilio double's answer to `question` (not a notice, not another answer). */
export function isAnswerTo(text: string, question: string): boolean {
  return text === `${TEXT_PREFIX}${question}`;
}

/** Polls `check` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
