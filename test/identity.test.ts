import { describe, expect, it } from "vitest";
import { identityFor, sessionIdFor, threadKeyFor } from "../src/identity.js";

describe("identity and session derivation", () => {
  const slack = {
    platform: "slack" as const,
    workspace: "T123",
    channel: "C456",
    thread: "1700000000.000100",
    user: "U789",
  };

  it("derives a Twilio type:value identity per platform user", () => {
    expect(identityFor(slack)).toBe("user_id:slack_T123_U789");
    expect(identityFor({ ...slack, platform: "discord", workspace: "dm", user: "81234" })).toBe(
      "user_id:discord_dm_81234",
    );
  });

  it("keeps the identity value free of further colons and non-ASCII", () => {
    const identity = identityFor({ ...slack, user: "we:ird ü" });
    expect(identity).toBe("user_id:slack_T123_we-ird--");
    expect(identity.split(":")).toHaveLength(2);
  });

  it("uses an identity the adapter supplies (e.g. email)", () => {
    expect(identityFor({ ...slack, identity: "email:ana@example.com" })).toBe("email:ana@example.com");
  });

  it("derives one Twilio-style session id per thread", () => {
    expect(sessionIdFor(slack)).toBe("slack__T123/C456/1700000000.000100");
    expect(sessionIdFor({ ...slack, thread: "1700000001.000200" })).not.toBe(sessionIdFor(slack));
    expect(sessionIdFor({ ...slack, channel: "C/x" })).toBe("slack__T123/C-x/1700000000.000100");
  });

  it("derives the thread key the logs carry", () => {
    expect(threadKeyFor(slack)).toBe("slack:T123:C456:1700000000.000100");
  });
});
