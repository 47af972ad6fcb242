import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { RouteHandler } from "../../src/adapter.js";
import { BodyReadError, readBodyLimited } from "../../src/http/read-body.js";
import type { Logger } from "../../src/logger.js";
import type { SlackMetrics } from "./metrics.js";

/**
 * The largest body /slack/events reads. Slack's largest payloads are a message event carrying
 * 40,000 characters of text plus blocks and attachments, twice in a `message_changed` (the message
 * and its previous version), and interactivity payloads with a whole modal: a few hundred KB at
 * most, even with every character escaped. 1 MiB is well above that and a quarter of Bolt's 4 MiB.
 */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Bodies read at once before their signature is checked (the rest get 503 and Slack retries). */
const MAX_CONCURRENT_READS = 64;
/** Slack refuses replays older than 5 minutes; the same bound holds for stamps in the future. */
const MAX_SKEW_S = 5 * 60;
/** One log line per this long at most for rejected requests; the counter has them all. */
const REJECTION_LOG_EVERY_MS = 10_000;

export type Envelope = Readonly<Record<string, unknown>>;

export interface EventsGuardOptions {
  signingSecret: string;
  logger: Logger;
  metrics: Pick<SlackMetrics, "requestsRejected">;
  /** True for the envelopes Bolt handles (URL verification, the events it listens to). */
  forwards: (body: Envelope) => boolean;
  /** Hands a verified request to Bolt; its body is already read, in `rawBody` where Bolt looks for it. */
  forward: (request: IncomingMessage, response: ServerResponse) => void;
  /** A verified `tokens_revoked` or `app_uninstalled` event. */
  onCredentialEvent: (event: Envelope, body: Envelope) => void;
  /** @default MAX_BODY_BYTES */
  maxBodyBytes?: number;
  /** @default MAX_CONCURRENT_READS */
  maxConcurrentReads?: number;
  /** A body not complete within this is refused. @default 10_000 */
  readTimeoutMs?: number;
}

type Rejection =
  | "method"
  | "too_large"
  | "busy"
  | "unsigned"
  | "stale"
  | "future"
  | "bad_signature"
  | "timeout"
  | "aborted"
  | "malformed";

const STATUS: Record<Rejection, number> = {
  method: 405,
  too_large: 413,
  busy: 503,
  unsigned: 401,
  stale: 401,
  future: 401,
  bad_signature: 401,
  timeout: 408,
  aborted: 400,
  malformed: 400,
};

/**
 * The gate in front of Bolt on /slack/events: bounded bodies (by `Content-Length` and while reading),
 * a bounded number read at once, Slack's signature and a timestamp within 5 minutes either way
 * checked here, malformed signed bodies answered 400 and well-formed ones the bridge does not use
 * answered 200 at once, so Bolt only ever sees requests it can handle.
 */
export function createEventsGuard(options: EventsGuardOptions): RouteHandler {
  const { logger, metrics } = options;
  const maxBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxReads = options.maxConcurrentReads ?? MAX_CONCURRENT_READS;
  const readTimeoutMs = options.readTimeoutMs ?? 10_000;
  let reading = 0;
  let lastLogAt = Number.NEGATIVE_INFINITY;
  let unlogged = 0;

  const reject = (request: IncomingMessage, response: ServerResponse, reason: Rejection) => {
    metrics.requestsRejected.inc({ reason });
    const now = performance.now();
    if (now - lastLogAt >= REJECTION_LOG_EVERY_MS) {
      logger.warn({ reason, status: STATUS[reason], alsoRejected: unlogged }, "slack: request refused");
      lastLogAt = now;
      unlogged = 0;
    } else unlogged++;
    if (response.headersSent || response.destroyed) return;
    const headers: Record<string, string> = { "content-type": "text/plain", connection: "close" };
    if (reason === "busy") headers["retry-after"] = "1";
    if (reason === "method") headers.allow = "POST";
    // Whatever body is still on its way is not wanted: close once the answer is out.
    response.on("finish", () => request.destroy());
    response.writeHead(STATUS[reason], headers).end(reason);
  };

  return (request, response) => {
    if (request.method !== "POST") return reject(request, response, "method");
    const length = Number(request.headers["content-length"] ?? 0);
    if (length > maxBytes) return reject(request, response, "too_large");
    const stamp = signatureHeaders(request);
    if (stamp === null) return reject(request, response, "unsigned");
    const skew = Math.floor(Date.now() / 1000) - stamp.timestamp;
    if (skew > MAX_SKEW_S) return reject(request, response, "stale");
    if (skew < -MAX_SKEW_S) return reject(request, response, "future");
    if (reading >= maxReads) return reject(request, response, "busy");

    reading++;
    readBodyLimited(request, maxBytes, readTimeoutMs)
      .finally(() => reading--)
      .then(
        (raw) => {
          if (!signed(options.signingSecret, stamp, raw)) return reject(request, response, "bad_signature");
          const body = parse(raw, request.headers["content-type"]);
          if (body === null) reject(request, response, "malformed");
          else dispatch(request, response, raw, body);
        },
        (error: unknown) =>
          reject(request, response, error instanceof BodyReadError ? error.reason : "aborted"),
      )
      .catch((error: unknown) => {
        logger.error({ err: error }, "slack: request handling failed");
        if (!response.headersSent) response.writeHead(500).end();
      });
  };

  /** What to do with a verified, parsed payload. */
  function dispatch(request: IncomingMessage, response: ServerResponse, raw: Buffer, body: Envelope): void {
    const { type, event } = body;
    // Slash commands carry `command` instead of a `type`.
    const malformed =
      (typeof type !== "string" && typeof body.command !== "string") ||
      (type === "event_callback" && !isEventObject(event));
    if (malformed) {
      reject(request, response, "malformed");
    } else if (type === "app_rate_limited") {
      logger.warn(
        { minuteRateLimited: body.minute_rate_limited },
        "slack: the workspace sent more than 30,000 events in an hour; Slack drops events for a while",
      );
      ok(response);
    } else if (
      isEventObject(event) &&
      (event.type === "tokens_revoked" || event.type === "app_uninstalled")
    ) {
      options.onCredentialEvent(event, body);
      ok(response);
    } else if (options.forwards(body)) {
      (request as IncomingMessage & { rawBody?: Buffer }).rawBody = raw;
      options.forward(request, response);
    } else {
      logger.debug({ type, event: isEventObject(event) ? event.type : undefined }, "slack: payload not used");
      ok(response);
    }
  }
}

/** A plain object with a string `type`: the shape of every Events API event. */
function isEventObject(value: unknown): value is Envelope & { type: string } {
  return isRecord(value) && typeof value.type === "string";
}

function isRecord(value: unknown): value is Envelope {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function ok(response: ServerResponse): void {
  response.writeHead(200).end();
}

function signatureHeaders(request: IncomingMessage): { timestamp: number; signature: string } | null {
  const signature = request.headers["x-slack-signature"];
  const timestamp = request.headers["x-slack-request-timestamp"];
  if (typeof signature !== "string" || typeof timestamp !== "string" || !/^\d{1,12}$/.test(timestamp)) {
    return null;
  }
  return { timestamp: Number(timestamp), signature };
}

/** `v0=hex(HMAC_SHA256(secret, "v0:" + timestamp + ":" + body))`, compared in constant time. */
function signed(secret: string, stamp: { timestamp: number; signature: string }, raw: Buffer): boolean {
  const hmac = createHmac("sha256", secret).update(`v0:${stamp.timestamp}:`).update(raw).digest("hex");
  const expected = Buffer.from(`v0=${hmac}`);
  const given = Buffer.from(stamp.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The payload as Bolt would read it (JSON, or a form with a JSON `payload`); null unless it is an object. */
function parse(raw: Buffer, contentType: string | undefined): Envelope | null {
  try {
    const text = raw.toString("utf8");
    if (contentType?.startsWith("application/x-www-form-urlencoded")) {
      const form = parseQuery(text);
      const value: unknown = typeof form.payload === "string" ? JSON.parse(form.payload) : form;
      return isRecord(value) ? value : null;
    }
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}
