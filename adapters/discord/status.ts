import { type Client, RESTEvents } from "discord.js";
import type { Logger } from "../../src/logger.js";

type State = "connecting" | "ready" | "reconnecting" | "disconnected" | "closed";

const REASONS: Record<Exclude<State, "ready">, string> = {
  connecting: "discord: connecting to the gateway",
  reconnecting: "discord: gateway reconnecting",
  disconnected: "discord: gateway disconnected and not reconnecting",
  closed: "discord: closed",
};

export interface ConnectionStatus {
  /** Null while the gateway is ready, else why not (for /readyz). */
  notReadyReason(): string | null;
  /** Marks a login that failed (not connected; discord.js will not retry it), with why, for /readyz. */
  failed(reason: string): void;
  /** Marks the connection as closed on purpose (later events are expected and not alarming). */
  closed(): void;
}

/**
 * Follows the gateway connection and logs what discord.js reports. discord.js reconnects by itself
 * (resuming when it can); every error it emits is logged here instead of being thrown, since an
 * "error" event without a listener would crash the process.
 */
export function watchConnection(client: Client, logger: Logger): ConnectionStatus {
  let state: State = "connecting";
  let failure: string | null = null;
  const set = (next: State) => {
    if (state === "closed") return;
    state = next;
    failure = null;
  };

  client.on("clientReady", () => set("ready"));
  client.on("shardReady", (shardId) => {
    if (state === "reconnecting") logger.info({ shardId }, "discord: gateway reconnected (new session)");
    set("ready");
  });
  client.on("shardResume", (shardId, replayedEvents) => {
    logger.info({ shardId, replayedEvents }, "discord: gateway resumed");
    set("ready");
  });
  client.on("shardReconnecting", (shardId) => {
    if (state === "closed") return;
    logger.warn({ shardId }, "discord: gateway connection lost; reconnecting");
    set("reconnecting");
  });
  client.on("shardDisconnect", (event, shardId) => {
    if (state === "closed") return;
    logger.error({ shardId, code: event.code }, "discord: gateway closed the connection for good");
    set("disconnected");
  });
  client.on("shardError", (error, shardId) => logger.warn({ err: error, shardId }, "discord: gateway error"));
  client.on("error", (error) => logger.error({ err: error }, "discord: client error"));
  client.on("warn", (message) => logger.warn({ detail: message }, "discord: client warning"));
  client.on("debug", (message) => logger.trace({ detail: message }, "discord: debug"));
  client.rest.on(RESTEvents.RateLimited, (info) => {
    logger.warn(
      { route: info.route, method: info.method, retryAfterMs: info.retryAfter, global: info.global },
      "discord: rate limited by Discord; the request waits",
    );
  });

  return {
    notReadyReason: () => (state === "ready" ? null : (failure ?? REASONS[state])),
    failed: (reason) => {
      set("disconnected");
      if (state !== "closed") failure = reason;
    },
    closed: () => {
      state = "closed";
    },
  };
}
