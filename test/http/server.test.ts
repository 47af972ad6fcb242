import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { readBody } from "../../src/http/read-body.js";
import { type RunningHttpServer, startHttpServer } from "../../src/http/server.js";
import { Metrics } from "../../src/metrics.js";
import { memoryLogger } from "../support/core.js";

let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(
  options: {
    reasons?: () => string[];
    warnings?: () => string[];
    metricsToken?: string | null;
    metrics?: Metrics;
  } = {},
) {
  const metrics = options.metrics ?? new Metrics();
  server = await startHttpServer({
    port: 0,
    host: "127.0.0.1",
    routes: new Map([["/hook", (_req, res) => res.writeHead(204).end()]]),
    notReadyReasons: options.reasons ?? (() => []),
    ...(options.warnings ? { warnings: options.warnings } : {}),
    metrics,
    metricsToken: options.metricsToken ?? null,
    logger: memoryLogger("silent").logger,
  });
  return { url: server.url, metrics };
}

describe("HTTP server", () => {
  it("logs the address it really binds: every interface when no host is given", async () => {
    const { logger, lines } = memoryLogger("info");
    server = await startHttpServer({
      port: 0,
      routes: new Map(),
      notReadyReasons: () => [],
      metrics: new Metrics(),
      metricsToken: null,
      logger,
    });
    const port = new URL(server.url).port;
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const line = logged.find((entry) => entry.msg === "HTTP server listening");
    expect(line?.address).toMatch(new RegExp(`^(\\[::\\]|0\\.0\\.0\\.0):${port}$`));
    expect(line?.url).toBe(`http://127.0.0.1:${port}`);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("answers /healthz with 200 while the process runs", async () => {
    const { url } = await start({ reasons: () => ["discord: connecting"] });
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers /readyz with 503 and the reasons until everything is ready, then 200", async () => {
    let reasons = ["slack: auth.test has not succeeded yet"];
    const { url } = await start({ reasons: () => reasons });
    const before = await fetch(`${url}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({
      ready: false,
      reasons: ["slack: auth.test has not succeeded yet"],
    });
    reasons = [];
    const after = await fetch(`${url}/readyz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ ready: true, reasons: [] });
  });

  it("shows warnings an operator accepted on /readyz while still answering ready", async () => {
    const warning = 'redis: maxmemory-policy is "allkeys-lru", not noeviction';
    const { url } = await start({ warnings: () => [warning] });
    const response = await fetch(`${url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true, reasons: [], warnings: [warning] });
  });

  it("serves Prometheus metrics whose values follow what happens", async () => {
    const { url, metrics } = await start();
    metrics.messagesReceived.inc({ platform: "slack" });
    metrics.messagesReceived.inc({ platform: "slack" });
    metrics.assistantCalls.inc({ outcome: "flagged" });
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toContain('bridge_messages_received_total{platform="slack"} 2');
    expect(text).toContain('bridge_assistant_calls_total{outcome="flagged"} 1');
    expect(text).toContain("# TYPE bridge_assistant_latency_seconds histogram");
  });

  it("wants the bearer token on /metrics when METRICS_TOKEN is set", async () => {
    const { url } = await start({ metricsToken: "s3cret-metrics" });
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: "Bearer s3cret-metrics" } });
    expect(ok.status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("routes adapter paths and answers 404 for anything else", async () => {
    const { url } = await start();
    expect((await fetch(`${url}/hook?x=1`, { method: "POST" })).status).toBe(204);
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
    expect((await fetch(`${url}/healthz`, { method: "POST" })).status).toBe(405);
  });
});

describe("HTTP server connection limits", () => {
  async function stalled(
    url: string,
    sendHeadersOnly: boolean,
  ): Promise<{ status: number | null; closedMs: number }> {
    const { port } = new URL(url);
    const socket = connect(Number(port), "127.0.0.1");
    const started = performance.now();
    const head = "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n";
    socket.write(sendHeadersOnly ? `${head}\r\n0123456789` : head);
    let data = "";
    socket.on("data", (chunk) => {
      data += String(chunk);
    });
    await new Promise<void>((resolve) => socket.on("close", () => resolve()));
    const status = /^HTTP\/1\.1 (\d{3})/.exec(data)?.[1];
    return { status: status ? Number(status) : null, closedMs: performance.now() - started };
  }

  it("closes a connection whose body stalls after the headers, with a 408", async () => {
    server = await startHttpServer({
      port: 0,
      host: "127.0.0.1",
      routes: new Map([
        [
          "/hook",
          (req, res) =>
            void readBody(req).then(
              () => res.writeHead(204).end(),
              () => {},
            ),
        ],
      ]),
      notReadyReasons: () => [],
      metrics: new Metrics(),
      metricsToken: null,
      logger: memoryLogger("silent").logger,
      timeouts: { requestTimeoutMs: 300, checkIntervalMs: 50 },
    });
    const result = await stalled(server.url, true);
    expect(result.status).toBe(408);
    expect(result.closedMs).toBeLessThan(2_000);
  });

  it("closes a connection whose headers never end", async () => {
    server = await startHttpServer({
      port: 0,
      host: "127.0.0.1",
      routes: new Map(),
      notReadyReasons: () => [],
      metrics: new Metrics(),
      metricsToken: null,
      logger: memoryLogger("silent").logger,
      timeouts: { headersTimeoutMs: 200, requestTimeoutMs: 1_000, checkIntervalMs: 50 },
    });
    const result = await stalled(server.url, false);
    expect(result.closedMs).toBeLessThan(1_500);
  });
});
