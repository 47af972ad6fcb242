import type { ServerResponse } from "node:http";
import {
  App,
  AuthorizationError,
  HTTPModuleFunctions,
  HTTPReceiver,
  SocketModeReceiver,
  webApi,
} from "@slack/bolt";
import type { SlackConfig } from "../../src/config.js";
import type { Adapter, AdapterContext, ReplyAddress, RouteHandler } from "../../src/types.js";
import { registerAgentSurface } from "./agent.js";
import { boltLogger } from "./bolt-logger.js";
import { registerFeedback } from "./feedback.js";
import { WorkingIndicator } from "./indicator.js";
import { IntakeUnavailableError, SlackIntake } from "./intake.js";
import { type SlackTarget, slackThreadPort } from "./replies.js";
import { describeStartFailure } from "./start-failure.js";
import { UserDirectory } from "./users.js";

export interface SlackAdapterOptions {
  /** Answers faster than this show no working indicator. @default 1000 */
  workingIndicatorDelayMs?: number;
  /** How often a DM's working status is set again while waiting. @default 100000 */
  statusRefreshMs?: number;
}

/** The Events API path on the shared HTTP server. */
const EVENTS_PATH = "/slack/events";

/**
 * Replies retry a failed call a few times (a 429 first waits its Retry-After), then give up and the
 * core logs it: the default (ten retries over half an hour) would hold the thread's queue that long.
 */
const REPLY_RETRIES = { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 30_000, randomize: true };
/** Per Web API call: a hung call must not hold a thread (or the shutdown) forever. */
const CALL_TIMEOUT_MS = 30_000;
/** How long stopIntake waits for messages whose users.info lookup is still running. */
const DRAIN_MS = 5_000;

/**
 * Slack through Bolt: the Events API on the shared server (HTTP mode) or a Socket Mode connection.
 * Bolt verifies signatures and acknowledges; this adapter turns mentions, DMs and thread follow-ups
 * into core messages and the core's replies into thread messages.
 */
export function createSlackAdapter(
  config: SlackConfig,
  context: AdapterContext,
  options: SlackAdapterOptions = {},
): Adapter {
  const { logger } = context;
  const sdkLogger = boltLogger(
    logger.child({ component: "bolt" }),
    [config.botToken, config.signingSecret, config.appToken].filter((s): s is string => s !== null),
  );
  // A fresh object each time: the SDKs write into the options they are given.
  const clientOptions = (extra: webApi.WebClientOptions = {}): webApi.WebClientOptions => ({
    slackApiUrl: config.apiUrl,
    logger: sdkLogger,
    ...extra,
  });

  let authenticated = false;
  let startFailure: string | null = null;
  let socketConnected = false;
  let intakeOpen = true;
  let socketClosed = false;

  const receiver =
    config.mode === "socket"
      ? new SocketModeReceiver({
          appToken: required(config.appToken, "SLACK_APP_TOKEN"),
          logger: sdkLogger,
          installerOptions: { clientOptions: clientOptions() },
        })
      : new HTTPReceiver({
          signingSecret: required(config.signingSecret, "SLACK_SIGNING_SECRET"),
          logger: sdkLogger,
          // The response waits for the listener, which resolves once the message is stored: a message
          // the store could not take (or that arrives after stopIntake) is answered 503, not 200, and
          // Slack delivers it again.
          processBeforeResponse: true,
          processEventErrorHandler: async (args) => {
            const { error, response } = args;
            if (unwrap(error) instanceof IntakeUnavailableError) {
              unavailable(response);
              return false;
            }
            if (error instanceof AuthorizationError || response.headersSent) {
              return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
            }
            // A payload Bolt cannot process fails the same way on every retry, and failed deliveries
            // count towards Slack disabling the subscription: log it and acknowledge it.
            logger.error({ err: error }, "slack event could not be processed; acknowledged anyway");
            response.writeHead(200).end();
            return false;
          },
        });
  if (receiver instanceof SocketModeReceiver) {
    receiver.client.on("connected", () => {
      socketConnected = true;
      logger.info("slack Socket Mode connected");
    });
    // "close" comes first: the client waits a few seconds before it says "reconnecting".
    for (const state of ["close", "disconnecting", "disconnected", "reconnecting"]) {
      receiver.client.on(state, () => {
        if (socketConnected && !socketClosed) logger.warn({ state }, "slack Socket Mode connection lost");
        socketConnected = false;
      });
    }
  }

  const closeSocket = async () => {
    if (!(receiver instanceof SocketModeReceiver) || socketClosed) return;
    socketClosed = true;
    await receiver.client.disconnect();
  };

  const app = new App({
    token: config.botToken,
    receiver,
    logger: sdkLogger,
    clientOptions: clientOptions({ retryConfig: REPLY_RETRIES, timeout: CALL_TIMEOUT_MS }),
    // auth.test runs in start(), where a failure can be reported and retried, not in the constructor.
    deferInitialization: true,
    convoStore: false,
  });
  // Separate clients, because @slack/web-api pauses a whole client on a 429: a rate-limited
  // indicator (Tier 3), suggested prompts or lookup must never delay an answer.
  const niceties = new webApi.WebClient(
    config.botToken,
    clientOptions({ rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, timeout: 10_000 }),
  );
  const indicator = new WorkingIndicator({
    client: niceties,
    logger,
    ...(options.workingIndicatorDelayMs === undefined ? {} : { delayMs: options.workingIndicatorDelayMs }),
    ...(options.statusRefreshMs === undefined ? {} : { statusRefreshMs: options.statusRefreshMs }),
  });
  // The Events API response waits for the message to be stored, so for its lookups too: one try of
  // at most 1.5 s keeps it inside Slack's 3 s (a name not found shows as the id).
  const users = new UserDirectory(
    new webApi.WebClient(config.botToken, clientOptions({ retryConfig: { retries: 0 }, timeout: 1_500 })),
    logger,
  );
  const intake = new SlackIntake({
    config,
    sink: context.sink,
    memory: context.memory,
    logger,
    client: app.client,
    users,
  });

  const listener = async (args: { body: unknown; event: unknown; context: { botUserId?: string } }) => {
    // HTTP: refused after stopIntake, so Slack delivers it to the next process. Socket Mode has
    // acknowledged the event already: it is taken while the core drains.
    if (!intakeOpen && receiver instanceof HTTPReceiver) throw new IntakeUnavailableError("stopped");
    await intake.handle(args.body, args.event, args.context.botUserId);
  };
  registerAgentSurface(app, { client: niceties, logger, prompts: config.suggestedPrompts });
  if (context.feedback) registerFeedback(app, { recorder: context.feedback, logger });
  app.event("app_mention", listener);
  app.event("message", listener);
  app.error(async (error) => {
    const original = unwrap(error);
    if (original instanceof IntakeUnavailableError) {
      // Socket Mode acknowledged it before the listener ran: this message is lost (see README).
      if (receiver instanceof SocketModeReceiver) logger.error({ err: original }, "slack message not stored");
      throw original;
    }
    // Acknowledged anyway: a retry would meet the same bug.
    logger.error({ err: error }, "slack event handling failed");
  });

  const routes = new Map<string, RouteHandler>();
  if (receiver instanceof HTTPReceiver) {
    routes.set(EVENTS_PATH, (request, response) => {
      // 503 before Bolt reads or acknowledges anything: Slack redelivers to the next process.
      if (!authenticated || !intakeOpen) return unavailable(response);
      try {
        receiver.requestListener(request, response);
      } catch {
        // Bolt throws for anything but POST on its endpoint.
        response.writeHead(405, { allow: "POST" }).end();
      }
    });
  }

  return {
    platform: "slack",
    routes,
    portFor(address) {
      return slackThreadPort(app.client, indicator, slackTarget(address));
    },
    async start() {
      if (!authenticated) {
        try {
          await app.init();
        } catch (error) {
          startFailure = describeStartFailure(error, config.apiUrl);
          // One line, for the start-up retry log: what failed and where, never the request.
          throw new Error(`slack: ${startFailure}`, { cause: error });
        }
        authenticated = true;
        startFailure = null;
      }
      if (receiver instanceof SocketModeReceiver && !socketConnected) await app.start();
      logger.info({ mode: config.mode }, "slack adapter started");
    },
    notReadyReason() {
      if (!intakeOpen) return "slack: no longer taking messages";
      if (!authenticated) return `slack: ${startFailure ?? "not connected yet (auth.test)"}`;
      if (config.mode === "socket" && !socketConnected) return "slack: Socket Mode not connected";
      return null;
    },
    async stopIntake() {
      intakeOpen = false;
      // Socket Mode: unacknowledged events go to another connection once this one is closed.
      await closeSocket();
      const waiting = await intake.drain(DRAIN_MS);
      if (waiting > 0)
        logger.warn({ threads: waiting }, "slack messages still waiting for a users.info lookup");
    },
    async close() {
      intakeOpen = false;
      indicator.close();
      await closeSocket();
    },
  };
}

/** Bolt wraps listener errors; the original says what happened. */
function unwrap(error: unknown): unknown {
  return (error as { original?: unknown } | null)?.original ?? error;
}

/** The address a Slack message was stored with, checked: a malformed one is a bug, not a reply. */
function slackTarget(address: ReplyAddress): SlackTarget {
  const { team, dm, channel, thread, ts } = address;
  if (
    typeof team !== "string" ||
    typeof dm !== "boolean" ||
    typeof channel !== "string" ||
    typeof thread !== "string" ||
    typeof ts !== "string"
  ) {
    throw new Error("not a Slack reply address");
  }
  return { team, dm, channel, thread, ts };
}

function unavailable(response: ServerResponse): void {
  response.writeHead(503, { "content-type": "text/plain", "retry-after": "5" }).end("not taking events");
}

function required(value: string | null, name: string): string {
  if (value === null) throw new Error(`${name} is required for this Slack mode`);
  return value;
}
