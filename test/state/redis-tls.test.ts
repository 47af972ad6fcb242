import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "../support/redis.js";

const TSX = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
const STORE = fileURLToPath(new URL("../../src/state/redis-store.ts", import.meta.url));

/** Runs `code` in a fresh Node (tsx) with `env`; resolves with its stdout, rejects with its stderr. */
function node(code: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", TSX, "--input-type=module", "-e", code], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => {
      out += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      err += String(chunk);
    });
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(err))));
  });
}

describe("RedisStore over TLS (rediss://)", () => {
  let dir: string;
  let redis: PrivateRedis;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bridge-tls-"));
    const [certFile, keyFile] = [join(dir, "cert.pem"), join(dir, "key.pem")];
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        keyFile,
        "-out",
        certFile,
      ],
      { stdio: "ignore" },
    );
    redis = await startPrivateRedis({ tls: { certFile, keyFile }, password: "tls-pw-1234" });
  });
  afterAll(async () => {
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects with nothing but the URL, verifying the server's certificate", async () => {
    const code = `
      import { pino } from "pino";
      const { connectRedisStore } = await import(${JSON.stringify(STORE)});
      const store = await connectRedisStore({ url: process.env.URL, prefix: "{tls}:", logger: pino({ level: "silent" }), connectTimeoutMs: 2000 });
      console.log(await store.acquireStart(5, 1000), await store.depth(), store.notReadyReason());
      await store.close();
    `;
    const trusted = { URL: redis.url, NODE_EXTRA_CA_CERTS: join(dir, "cert.pem") };
    expect((await node(code, trusted)).trim()).toBe("0 0 null");
    // Without the CA the certificate is refused: TLS really is in use and verified.
    await expect(node(code, { URL: redis.url })).rejects.toThrow(/could not connect/);
  }, 30_000);
});
