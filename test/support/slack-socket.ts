import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";

export interface RunningSocketServer {
  /** What apps.connections.open hands out. */
  url: string;
  /** Resolves once a client is connected (and was sent `hello`). */
  connected(): Promise<void>;
  /** Resolves once no client is connected. */
  disconnected(): Promise<void>;
  /** Cuts the current client off, as a network failure would. */
  dropClient(): void;
  /**
   * Sends an envelope (an Events API one unless `type` says else: `interactive` for block_actions and
   * view payloads, `slash_commands`); resolves with the client's ack for it.
   */
  send(
    body: Record<string, unknown>,
    retryAttempt?: number,
    type?: "events_api" | "interactive" | "slash_commands",
  ): Promise<{ envelope_id: string }>;
  /** Every message the client sent, parsed. */
  readonly received: readonly unknown[];
  close(): Promise<void>;
}

/** A local stand-in for Slack's Socket Mode endpoint: hello on connect, envelopes out, acks in. */
export async function startSocketServer(): Promise<RunningSocketServer> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const received: unknown[] = [];
  const ackWaiters = new Map<string, (ack: { envelope_id: string }) => void>();
  let client: WebSocket | null = null;
  let onConnect: Array<() => void> = [];
  let onDisconnect: Array<() => void> = [];

  server.on("connection", (socket) => {
    client = socket;
    socket.on("close", () => {
      if (client === socket) client = null;
      for (const wake of onDisconnect.splice(0)) wake();
    });
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { envelope_id?: string };
      received.push(message);
      if (message.envelope_id) ackWaiters.get(message.envelope_id)?.({ envelope_id: message.envelope_id });
    });
    socket.send(
      JSON.stringify({
        type: "hello",
        num_connections: 1,
        debug_info: { host: "local", approximate_connection_time: 3600 },
        connection_info: { app_id: "A0APP" },
      }),
    );
    for (const wake of onConnect.splice(0)) wake();
  });

  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/link`,
    received,
    connected: () =>
      client !== null ? Promise.resolve() : new Promise<void>((resolve) => onConnect.push(resolve)),
    disconnected: () =>
      client === null ? Promise.resolve() : new Promise<void>((resolve) => onDisconnect.push(resolve)),
    dropClient() {
      client?.terminate();
    },
    send(body, retryAttempt = 0, type = "events_api") {
      const socket = client;
      if (!socket) return Promise.reject(new Error("no Socket Mode client connected"));
      const envelopeId = randomUUID();
      const acked = new Promise<{ envelope_id: string }>((resolve) => ackWaiters.set(envelopeId, resolve));
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload: body,
          // Slack lets interactive and command envelopes be answered with a payload.
          accepts_response_payload: type !== "events_api",
          retry_attempt: retryAttempt,
          retry_reason: retryAttempt > 0 ? "timeout" : "",
        }),
      );
      return acked;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of server.clients) socket.terminate();
        onConnect = [];
        onDisconnect = [];
        server.close(() => resolve());
      }),
  };
}
