import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger, MAX_LOG_FILE_BYTES } from "../src/logger.js";
import { memoryLogger } from "./support/core.js";

describe("logger", () => {
  it("scrubs known secret values from every line, in messages, fields and errors", () => {
    const secret = "xoxb-1234-very-secret";
    const { logger, lines } = memoryLogger("debug", [secret]);
    logger.debug({ url: `https://x.test/?token=${secret}` }, `calling with ${secret}`);
    logger.error({ err: new Error(`refused ${secret}`) }, "failed");
    const output = lines.join("");
    expect(lines).toHaveLength(2);
    expect(output).not.toContain(secret);
    expect(output).toContain("[redacted]");
  });

  it("scrubs secrets that contain regular-expression characters, and a secret inside a longer one", () => {
    const { logger, lines } = memoryLogger("info", ["p4ss.w+rd(1)", "abcd", "xxabcdxx"]);
    logger.info(`a p4ss.w+rd(1) b p4ssXw+rd(1) c xxabcdxx d abcd`);
    const line = lines[0] ?? "";
    expect(line).toContain("a [redacted] b p4ssXw+rd(1) c [redacted] d [redacted]");
  });

  it("redacts credential fields by name", () => {
    const { logger, lines } = memoryLogger("info");
    logger.info({ headers: { authorization: "Basic abc" }, token: "t-123" }, "request");
    expect(lines.join("")).not.toContain("Basic abc");
    expect(lines.join("")).not.toContain("t-123");
  });

  it("writes one JSON object a line", () => {
    const { logger, lines } = memoryLogger("info");
    logger.child({ platform: "slack", thread: "slack:T:C:1", requestId: "r-1" }).info("hello");
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({
      msg: "hello",
      platform: "slack",
      thread: "slack:T:C:1",
      requestId: "r-1",
    });
  });

  it("writes readable lines, one an entry, appended to a file, with secrets scrubbed", () => {
    const file = join(mkdtempSync(join(tmpdir(), "bridge-log-")), "bridge.log");
    const first = createLogger({ level: "info", pretty: true, secrets: ["s3cret-value"], file });
    first.info({ platform: "console" }, "hello with s3cret-value");
    const second = createLogger({ level: "info", pretty: true, secrets: [], file });
    second.warn("again");
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/INFO: hello with \[redacted\] \{"platform":"console"\}$/);
    expect(lines[1]).toMatch(/WARN: again$/);
    expect(lines.join("")).not.toContain("\u001b");
  });

  it("dates each line of the file: the file outlives the day it was started", () => {
    const file = join(mkdtempSync(join(tmpdir(), "bridge-log-")), "bridge.log");
    createLogger({ level: "info", pretty: true, secrets: [], file }).info("dated");
    const today = new Date();
    const pad = (n: number) => String(n).padStart(2, "0");
    const date = `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
    expect(readFileSync(file, "utf8")).toMatch(
      new RegExp(`^\\[${date} \\d\\d:\\d\\d:\\d\\d\\.\\d{3} [+-]\\d{4}\\] INFO: dated\\n$`),
    );
  });

  it("moves a file that reached its size bound aside before appending, keeping one older file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "bridge-log-")), "bridge.log");
    writeFileSync(file, "x".repeat(MAX_LOG_FILE_BYTES - 1));
    createLogger({ level: "info", pretty: true, secrets: [], file }).info("still below");
    expect(existsSync(`${file}.1`)).toBe(false);
    createLogger({ level: "info", pretty: true, secrets: [], file }).info("fresh file");
    expect(readFileSync(`${file}.1`, "utf8")).toContain("still below");
    expect(readFileSync(file, "utf8")).toMatch(/^\[.*\] INFO: fresh file\n$/);
  });

  it("throws at once when the log file cannot be written, so the caller can fall back", () => {
    expect(() =>
      createLogger({ level: "info", pretty: true, secrets: [], file: "/nonexistent-dir/x.log" }),
    ).toThrow();
  });
});
