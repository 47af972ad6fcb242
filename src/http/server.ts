import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RouteHandler } from "../adapter.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";

export interface HttpServerOptions {
  port: number;
  /** @default all interfaces */
  host?: string;
  /** Adapter endpoints, by exact path (e.g. `/slack/events`). */
  routes: ReadonlyMap<string, RouteHandler>;
  /** Why the bridge is not ready; empty when it is. */
  notReadyReasons: () => string[];
  /** What an operator accepted that still deserves a look (e.g. an evicting Redis): shown, still ready. */
  warnings?: () => string[];
  metrics: Metrics;
  /** When set, `/metrics` wants `Authorization: Bearer <token>`. */
  metricsToken: string | null;
  logger: Logger;
  /**
   * Connection limits, so a client that sends headers (or a body) slowly, or stalls, is closed:
   * `headersTimeoutMs` for the headers, `requestTimeoutMs` for the whole request (answered 408), checked
   * every `checkIntervalMs`. @default 10 s, 30 s, 1 s
   */
  timeouts?: { headersTimeoutMs?: number; requestTimeoutMs?: number; checkIntervalMs?: number };
}

/** Slack waits 3 s for an answer; anything still sending its request after this is not Slack. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

export interface RunningHttpServer {
  /** Where this host reaches it: the given host, else 127.0.0.1 (which every interface includes). */
  url: string;
  close(): Promise<void>;
}

/** The one HTTP server: health, readiness, metrics and the adapters' endpoints. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const timeouts = options.timeouts ?? {};
  const requestTimeout = timeouts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const server = createServer(
    {
      headersTimeout: Math.min(timeouts.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout),
      requestTimeout,
      // Node checks both timeouts only this often (30 s by default).
      connectionsCheckingInterval: timeouts.checkIntervalMs ?? 1_000,
    },
    (request, response) => {
      try {
        route(request, response);
      } catch (error) {
        options.logger.error({ err: error, path: request.url }, "HTTP handler failed");
        if (!response.headersSent) sendJson(response, 500, { error: "internal error" });
      }
    },
  );

  function route(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const adapterRoute = options.routes.get(path);
    if (adapterRoute) {
      adapterRoute(request, response);
    } else if (request.method !== "GET" && request.method !== "HEAD") {
      sendJson(response, 405, { error: "method not allowed" });
    } else if (path === "/healthz") {
      sendJson(response, 200, { status: "ok" });
    } else if (path === "/readyz") {
      const reasons = options.notReadyReasons();
      const warnings = options.warnings?.() ?? [];
      sendJson(response, reasons.length === 0 ? 200 : 503, {
        ready: reasons.length === 0,
        reasons,
        ...(warnings.length > 0 ? { warnings } : {}),
      });
    } else if (path === "/metrics") {
      void serveMetrics(request, response);
    } else {
      sendJson(response, 404, { error: "not found" });
    }
  }

  async function serveMetrics(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (
      options.metricsToken !== null &&
      !bearerMatches(request.headers.authorization, options.metricsToken)
    ) {
      response.setHeader("www-authenticate", 'Bearer realm="metrics"');
      sendJson(response, 401, { error: "a valid bearer token is required" });
      return;
    }
    try {
      const text = await options.metrics.registry.metrics();
      response.writeHead(200, { "content-type": options.metrics.registry.contentType });
      response.end(text);
    } catch (error) {
      options.logger.error({ err: error }, "could not collect metrics");
      sendJson(response, 500, { error: "could not collect metrics" });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => options.logger.error({ err: error }, "HTTP server error"));
  const bound = server.address() as AddressInfo;
  const url = `http://${hostPort(options.host ?? "127.0.0.1", bound.port)}`;
  // What it really binds: `[::]:PORT` or `0.0.0.0:PORT` when no host was given (every interface).
  options.logger.info({ address: hostPort(bound.address, bound.port), url }, "HTTP server listening");
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** `host:port`, with an IPv6 address in brackets as URLs want it. */
function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7).trim() : "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}
