import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../../src/simulator/cli.ts", import.meta.url));
const TSX = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

/** Runs `npm run simulator`'s entry (from an empty folder, so no .env is read) until it exits. */
function run(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", TSX, CLI], {
    cwd: mkdtempSync(join(tmpdir(), "simulator-cli-")),
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += String(chunk);
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
}

describe("npm run simulator", () => {
  it("on a busy port, says in one line to set SIMULATOR_PORT and exits 1", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const address = busy.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const { code, stderr } = await run({ SIMULATOR_PORT: String(port) });
      expect(code).toBe(1);
      expect(stderr.trim().split("\n")).toEqual([
        `Port ${port} is already in use (another simulator?). Set SIMULATOR_PORT to a free one, e.g. SIMULATOR_PORT=${port + 1} npm run simulator`,
      ]);
    } finally {
      busy.close();
    }
  });
});
