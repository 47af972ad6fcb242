import { LogLevel } from "@slack/bolt";
import { expect, test } from "vitest";
import { boltLogger } from "../../../adapters/slack/bolt-logger.js";
import { memoryLogger } from "../../support/core.js";

test("writes Bolt's free-text lines to pino, errors under err, tokens scrubbed", () => {
  const { logger, lines } = memoryLogger("debug");
  const bolt = boltLogger(logger, ["s3cret-signing"]);
  bolt.info("connected with", { token: "xoxb-1-2-abc" });
  bolt.warn("secret is s3cret-signing and xapp-1-A1-xyz");
  bolt.error("call failed:", new Error("bad token xoxp-9-9"));
  const parsed = lines.map(
    (line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } },
  );
  expect(parsed.map((p) => p.level)).toEqual([30, 40, 50]);
  expect(parsed[0]?.msg).toBe("connected with { token: '[redacted]' }");
  expect(parsed[1]?.msg).toBe("secret is [redacted] and [redacted]");
  expect(parsed[2]?.msg).toBe("call failed:");
  expect(parsed[2]?.err?.message).toBe("bad token [redacted]");
});

test("reports our level to the SDKs and ignores theirs", () => {
  const { logger, lines } = memoryLogger("info");
  const bolt = boltLogger(logger, []);
  expect(bolt.getLevel()).toBe(LogLevel.INFO);
  bolt.setLevel(LogLevel.DEBUG);
  bolt.debug("hidden");
  expect(bolt.getLevel()).toBe(LogLevel.INFO);
  expect(lines).toEqual([]);
});

test("keeps the Web API client's per-request failure line at debug: the caller reports it in one line", () => {
  const { logger, lines } = memoryLogger("info");
  const bolt = boltLogger(logger, []);
  bolt.warn("http request failed fetch failed");
  bolt.warn("something else went wrong");
  expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
    "something else went wrong",
  ]);
});
