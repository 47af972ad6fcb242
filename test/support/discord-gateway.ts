import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { BOT_USER } from "./discord-ids.js";
import { waitUntil } from "./discord-rest.js";

/** Gateway opcodes the double speaks. */
const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  Resume: 6,
  Reconnect: 7,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

export interface GatewayPayload {
  op: number;
  d?: unknown;
  s?: number | null;
  t?: string | null;
}

export interface GatewayDoubleOptions {
  /** The GUILD_CREATE payloads sent after READY (their ids are listed in READY as unavailable). */
  guilds: Array<Record<string, unknown>>;
  /** @default 41250 (Discord's usual) */
  heartbeatIntervalMs?: number;
  /** Decides what an IDENTIFY gets: READY (the default) or a close with this code (e.g. 4014). */
  onIdentify?: (identify: Record<string, unknown>) => { closeCode: number } | undefined;
}

export interface DiscordGatewayDouble {
  url: string;
  /** Every payload the bot sent, in order. */
  readonly received: readonly GatewayPayload[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** READY or RESUMED payloads sent so far: one per usable session. */
  readonly sessionsStarted: number;
  /** Sends a dispatch (op 0) on the current connection, or on every open one once `broadcast` is set. */
  dispatch(event: string, data: unknown): void;
  /** Every connection gets each dispatch, as every replica on one shard does from Discord. @default false */
  broadcast: boolean;
  /** Closes the current connection from the server side, as Discord does on a restart. */
  dropConnection(code?: number): void;
  /**
   * Asks the bot for a heartbeat and resolves when it answers: everything dispatched before has then
   * been handled by discord.js (a barrier for "nothing happened" assertions).
   */
  roundTrip(timeoutMs?: number): Promise<void>;
  /** Resolves once `count` sessions were started (READY or RESUMED sent). */
  waitForSessions(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for Discord's gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, RESUME → RESUMED
 * (replaying nothing), heartbeats acknowledged, and dispatches on demand. JSON, no compression, which
 * is what discord.js asks for without zlib-sync.
 */
export async function startDiscordGateway(options: GatewayDoubleOptions): Promise<DiscordGatewayDouble> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const received: GatewayPayload[] = [];
  const events = new EventEmitter();
  let current: WebSocket | null = null;
  let sequence = 0;
  let connections = 0;
  let sessionsStarted = 0;
  let broadcast = false;
  const sessionId = randomUUID().replaceAll("-", "");

  const send = (socket: WebSocket, payload: GatewayPayload) => socket.send(JSON.stringify(payload));
  const dispatchOn = (socket: WebSocket, event: string, data: unknown) => {
    sequence++;
    send(socket, { op: Op.Dispatch, t: event, s: sequence, d: data });
  };

  server.on("connection", (socket) => {
    connections++;
    current = socket;
    send(socket, { op: Op.Hello, d: { heartbeat_interval: options.heartbeatIntervalMs ?? 41_250 } });
    socket.on("message", (raw) => {
      const payload = JSON.parse(String(raw)) as GatewayPayload;
      received.push(payload);
      const data = (payload.d ?? {}) as Record<string, unknown>;
      if (payload.op === Op.Heartbeat) {
        send(socket, { op: Op.HeartbeatAck });
      } else if (payload.op === Op.Identify) {
        const refusal = options.onIdentify?.(data);
        if (refusal) {
          socket.close(refusal.closeCode, "refused by the test");
          return;
        }
        dispatchOn(socket, "READY", {
          v: 10,
          user: BOT_USER,
          guilds: options.guilds.map((guild) => ({ id: guild.id, unavailable: true })),
          session_id: sessionId,
          resume_gateway_url: url,
          application: { id: BOT_USER.id, flags: 0 },
          shard: [0, 1],
          private_channels: [],
          presences: [],
          relationships: [],
          guild_join_requests: [],
          geo_ordered_rtc_regions: [],
        });
        for (const guild of options.guilds) dispatchOn(socket, "GUILD_CREATE", guild);
        sessionsStarted++;
      } else if (payload.op === Op.Resume) {
        if (data.session_id !== sessionId) {
          send(socket, { op: Op.InvalidSession, d: false });
          return;
        }
        dispatchOn(socket, "RESUMED", {});
        sessionsStarted++;
      }
      events.emit("change");
    });
  });

  return {
    url,
    received,
    get connections() {
      return connections;
    },
    get sessionsStarted() {
      return sessionsStarted;
    },
    get broadcast() {
      return broadcast;
    },
    set broadcast(value) {
      broadcast = value;
    },
    dispatch(event, data) {
      if (!current || current.readyState !== current.OPEN)
        throw new Error("the gateway double has no open connection");
      if (!broadcast) return dispatchOn(current, event, data);
      for (const socket of server.clients)
        if (socket.readyState === socket.OPEN) dispatchOn(socket, event, data);
    },
    roundTrip(timeoutMs) {
      const heartbeatsBefore = received.filter((p) => p.op === Op.Heartbeat).length;
      if (!current) return Promise.reject(new Error("the gateway double has no open connection"));
      send(current, { op: Op.Heartbeat });
      return waitUntil(events, timeoutMs, "a heartbeat", () =>
        received.filter((p) => p.op === Op.Heartbeat).length > heartbeatsBefore ? true : undefined,
      ).then(() => undefined);
    },
    dropConnection(code = 4000) {
      current?.close(code, "dropped by the test");
    },
    waitForSessions: (count, timeoutMs) =>
      waitUntil(events, timeoutMs, `${count} gateway session(s)`, () =>
        sessionsStarted >= count ? true : undefined,
      ).then(() => undefined),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
