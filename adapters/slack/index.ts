/**
 * The Slack adapter. Bolt receives: the Events API on the shared server (HTTP mode) or a Socket Mode
 * connection, and the interactivity payloads (feedback buttons, the comment modal). Every Web API
 * call the bridge makes (posts, look-ups of timed-out posts, auth.test, users.info, the working
 * indicator, suggested prompts, the feedback modal and confirmations) goes through ONE transport,
 * api.ts: undici on the adapter's own pool, no retries and no queue. One transport, because
 * @slack/web-api's client pauses every call on one 429 (a rate-limited nicety would hold every
 * answer back) and retries a timed-out post blindly (an answer could appear twice); without a
 * client-wide queue one transport serves all, and the per-channel 429 pause lives in poster.ts.
 * Bolt is given `authorize` instead of the token, so it never calls auth.test itself: start() does,
 * through the transport. Bolt's App still builds a client of its own, which nothing calls; Socket
 * Mode's receiver keeps its own client for `apps.connections.open` (receiving, with the app token).
 */
import type { ServerResponse } from "node:http";
import {
  App,
  AuthorizationError,
  HTTPModuleFunctions,
  HTTPReceiver,
  SocketModeReceiver,
  type webApi,
} from "@slack/bolt";
import { Agent } from "undici";
import type { Adapter, AdapterContext, RouteHandler } from "../../src/adapter.js";
import type { SlackConfig } from "../../src/config.js";
import { callWithin, createSlackCaller } from "./api.js";
import { boltLogger } from "./bolt-logger.js";
import { SlackThreadReader } from "./context.js";
import { CredentialHealth, describeStartFailure } from "./credentials.js";
import { isFeedbackPayload, registerFeedback } from "./feedback.js";
import { createEventsGuard, type EventsGuardOptions } from "./http-guard.js";
import { WorkingIndicator } from "./indicator.js";
import { IntakeUnavailableError, SlackIntake } from "./intake.js";
import { acknowledgeForeignInteractivity } from "./interactivity.js";
import { registerSlackMetrics } from "./metrics.js";
import { type SlackPortDeps, threadPort } from "./port.js";
import { SlackPoster, type SlackPosterOptions } from "./poster.js";
import { RepliesPace } from "./replies-pace.js";
import { registerAgentSurface } from "./surface.js";
import { UserDirectory } from "./users.js";

export interface SlackAdapterOptions {
  /** Answers faster than this show no working indicator. @default 1000 */
  workingIndicatorDelayMs?: number;
  /** How often a DM's working status is set again while waiting. @default 100000 */
  statusRefreshMs?: number;
  /**
   * The time one reply's posts may spend on calls that fail or hang and on looking them up (429
   * waits not counted) before it is given up. @default 15 minutes
   */
  hangBudgetMs?: number;
  /** While the bot token does not work, auth.test runs this often. @default 30_000 */
  credentialProbeMs?: number;
  /** ...and at most this often when a held message asks. @default 5_000 */
  credentialRecheckMs?: number;
  /**
   * The poster's timeouts (see SlackPoster) and clock (conversations.replies' pace keeps time by it
   * too); that pace is SLACK_LOOKUPS_PER_MINUTE.
   */
  posting?: Pick<SlackPosterOptions, "attemptTimeoutMs" | "checkDelayMs" | "clock">;
  /** Limits of /slack/events (see createEventsGuard). */
  events?: Pick<EventsGuardOptions, "maxBodyBytes" | "maxConcurrentReads" | "readTimeoutMs">;
}

/** The Events API path on the shared HTTP server. */
const EVENTS_PATH = "/slack/events";
/** The events Bolt's listeners take; the guard answers every other well-formed payload itself. */
const BOLT_EVENTS: ReadonlySet<string> = new Set(["app_mention", "message", "app_home_opened"]);
/** auth.test (at start, retried by the app with back-off, and while the token is refused) must not hang. */
const CALL_TIMEOUT_MS = 10_000;
/**
 * A reply is given up after this long spent on failing or hanging posts and their look-ups: Slack
 * outages rarely last longer, and an answer much later than that no longer helps the person.
 */
const HANG_BUDGET_MS = 15 * 60_000;
/** How long stopIntake waits for messages whose users.info lookup is still running. */
const DRAIN_MS = 5_000;

/**
 * Slack through Bolt. In HTTP mode the events guard bounds, verifies and sorts requests before Bolt
 * acknowledges them; this adapter turns mentions, DMs and thread follow-ups into core messages, and
 * the core's replies into thread messages through its own poster.
 */
export function createSlackAdapter(
  config: SlackConfig,
  context: AdapterContext,
  options: SlackAdapterOptions = {},
): Adapter {
  const { logger } = context;
  const metrics = registerSlackMetrics(context.metrics);
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

  // Every Web API call goes through this one transport, on its own pool closed with the adapter.
  const pool = new Agent();
  const call = createSlackCaller({ apiUrl: config.apiUrl, token: config.botToken, dispatcher: pool });
  /** Who the bot is, from the adapter's own auth.test in start(); null until it succeeded. */
  let bot: { botUserId?: string; botId?: string } | null = null;
  const app = new App({
    receiver,
    logger: sdkLogger,
    // With `authorize` instead of `token`, Bolt never calls auth.test itself: the identity it puts in
    // every event's context (ignoreSelf, botUserId) is the one start() learnt through `call`.
    authorize: async () => ({ botToken: config.botToken, ...bot }),
    // Bolt's own client is never called; should that change, it goes to SLACK_API_URL, once.
    clientOptions: clientOptions({ retryConfig: { retries: 0 }, timeout: CALL_TIMEOUT_MS }),
    convoStore: false,
  });
  const indicator = new WorkingIndicator({
    call,
    logger,
    ...(options.workingIndicatorDelayMs === undefined ? {} : { delayMs: options.workingIndicatorDelayMs }),
    ...(options.statusRefreshMs === undefined ? {} : { statusRefreshMs: options.statusRefreshMs }),
  });
  const users = new UserDirectory(call, logger);
  // One pace for conversations.replies: Slack limits the method, not each of its two callers.
  const clock = options.posting?.clock;
  const replies = new RepliesPace({
    perMinute: config.lookupsPerMinute,
    ...(clock ? { now: () => clock.now() } : {}),
  });
  const health = new CredentialHealth({
    probe: async () => {
      await callWithin(call, "auth.test", {}, CALL_TIMEOUT_MS);
    },
    logger,
    ...(options.credentialProbeMs === undefined ? {} : { probeIntervalMs: options.credentialProbeMs }),
    ...(options.credentialRecheckMs === undefined ? {} : { recheckMs: options.credentialRecheckMs }),
  });
  const ports: SlackPortDeps = {
    poster: new SlackPoster({
      call,
      logger,
      metrics,
      onCredentialError: (code) => health.report(code),
      replies,
      ...options.posting,
    }),
    call,
    indicator,
    health,
    logger,
    metrics,
    threads: new SlackThreadReader({ call, users, bot: () => bot, logger, replies }),
    hangBudgetMs: options.hangBudgetMs ?? HANG_BUDGET_MS,
  };
  const intake = new SlackIntake({
    config,
    sink: context.sink,
    memory: context.memory,
    logger,
    ports,
    users,
  });
  /** `tokens_revoked` (for the bot's token, not only users' OAuth tokens) and `app_uninstalled`. */
  const credentialEvent = (event: { type?: unknown; tokens?: { bot?: unknown } }) => {
    if (event.type === "app_uninstalled") health.report("app_uninstalled");
    else if (Array.isArray(event.tokens?.bot) && event.tokens.bot.length > 0) health.report("tokens_revoked");
  };

  const listener = async (args: { body: unknown; event: unknown; context: { botUserId?: string } }) => {
    // HTTP: refused after stopIntake, so Slack delivers it to the next process. Socket Mode has
    // acknowledged the event already: it is taken while the core drains.
    if (!intakeOpen && receiver instanceof HTTPReceiver) throw new IntakeUnavailableError("stopped");
    await intake.handle(args.body, args.event, args.context.botUserId);
  };
  /** Only the bridge's own buttons and modal: Bolt has no listener for any other interactive payload. */
  const ownInteractivity = (body: Readonly<Record<string, unknown>>) =>
    context.feedback !== null && isFeedbackPayload(body);
  registerAgentSurface(app, { call, logger, prompts: config.suggestedPrompts });
  if (context.feedback) registerFeedback(app, { recorder: context.feedback, call, logger });
  acknowledgeForeignInteractivity(app, { ours: ownInteractivity, logger });
  app.event("app_mention", listener);
  app.event("message", listener);
  // Socket Mode delivers these through Bolt; in HTTP mode the guard sees them first.
  app.event("tokens_revoked", async ({ event }) => credentialEvent(event));
  app.event("app_uninstalled", async ({ event }) => credentialEvent(event));
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
    const guard = createEventsGuard({
      signingSecret: required(config.signingSecret, "SLACK_SIGNING_SECRET"),
      logger,
      metrics,
      ...options.events,
      forwards: (body) =>
        body.type === "url_verification" ||
        ownInteractivity(body) ||
        (body.type === "event_callback" && BOLT_EVENTS.has(String((body.event as { type?: unknown }).type))),
      forward: (request, response) => receiver.requestListener(request, response),
      onCredentialEvent: (event) => credentialEvent(event),
    });
    routes.set(EVENTS_PATH, (request, response) => {
      // 503 before anything is read or acknowledged: Slack redelivers to the next process.
      if (bot === null || !intakeOpen) return unavailable(response);
      guard(request, response);
    });
  }

  return {
    platform: "slack",
    routes,
    portFor(address) {
      return threadPort(ports, address);
    },
    async start() {
      if (bot === null) {
        try {
          const answer = await callWithin(call, "auth.test", {}, CALL_TIMEOUT_MS);
          bot = { ...text("botUserId", answer.user_id), ...text("botId", answer.bot_id) };
        } catch (error) {
          startFailure = describeStartFailure(error, config.apiUrl);
          // One line, for the start-up retry log: what failed and where, never the request.
          throw new Error(`slack: ${startFailure}`, { cause: error });
        }
        startFailure = null;
      }
      if (receiver instanceof SocketModeReceiver && !socketConnected) await app.start();
      logger.info({ mode: config.mode }, "slack adapter started");
    },
    notReadyReason() {
      if (!intakeOpen) return "slack: no longer taking messages";
      if (bot === null) return `slack: ${startFailure ?? "not connected yet (auth.test)"}`;
      if (config.mode === "socket" && !socketConnected) return "slack: Socket Mode not connected";
      return health.notReadyReason();
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
      health.close();
      await closeSocket();
      await pool.close();
    },
  };
}

/** Bolt wraps listener errors; the original says what happened. */
function unwrap(error: unknown): unknown {
  return (error as { original?: unknown } | null)?.original ?? error;
}

/** `{ [key]: value }` when `value` is a string, else nothing (exactOptionalPropertyTypes). */
function text<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  return (typeof value === "string" ? { [key]: value } : {}) as { [P in K]?: string };
}

function unavailable(response: ServerResponse): void {
  response.writeHead(503, { "content-type": "text/plain", "retry-after": "5" }).end("not taking events");
}

function required(value: string | null, name: string): string {
  if (value === null) throw new Error(`${name} is required for this Slack mode`);
  return value;
}
