import { afterEach, describe, expect, it } from "vitest";
import { type RunningHttpServer, startHttpServer } from "../../src/http/server.js";
import { Metrics } from "../../src/metrics.js";
import { memoryLogger } from "../support/core.js";

let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(
  options: { reasons?: () => string[]; metricsToken?: string | null; metrics?: Metrics } = {},
) {
  const metrics = options.metrics ?? new Metrics();
  server = await startHttpServer({
    port: 0,
    host: "127.0.0.1",
    routes: new Map([["/hook", (_req, res) => res.writeHead(204).end()]]),
    notReadyReasons: options.reasons ?? (() => []),
    metrics,
    metricsToken: options.metricsToken ?? null,
    logger: memoryLogger("silent").logger,
  });
  return { url: server.url, metrics };
}

describe("HTTP server", () => {
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
