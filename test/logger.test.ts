import { describe, expect, it } from "vitest";
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
});
