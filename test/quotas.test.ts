import { describe, expect, it } from "vitest";
import { parseQuota, quotaCheck, quotaWording, resetWording } from "../src/quotas.js";
import { message } from "./support/fake-assistant.js";

describe("quota settings", () => {
  it("reads N/hour and N/day, with spaces and any case", () => {
    expect(parseQuota("20/hour")).toEqual({ limit: 20, unit: "hour" });
    expect(parseQuota(" 100 / Day ")).toEqual({ limit: 100, unit: "day" });
  });

  it("refuses anything else", () => {
    for (const raw of [
      "0/hour",
      "20",
      "20/week",
      "20/hours",
      "-1/day",
      "1.5/hour",
      "twenty/hour",
      "/hour",
      "",
    ]) {
      expect(parseQuota(raw), raw).toBeNull();
    }
  });
});

describe("the reset time, in words", () => {
  it("says minutes under an hour, rounded up so it is never too early", () => {
    expect(resetWording(1)).toBe("in 1 minute");
    expect(resetWording(60_000)).toBe("in 1 minute");
    expect(resetWording(60_001)).toBe("in 2 minutes");
    expect(resetWording(12 * 60_000)).toBe("in 12 minutes");
    expect(resetWording(59 * 60_000)).toBe("in 59 minutes");
  });

  it("says an hour and its minutes below two hours, then whole hours rounded up", () => {
    expect(resetWording(60 * 60_000)).toBe("in 1 hour");
    expect(resetWording(61 * 60_000)).toBe("in 1 hour and 1 minute");
    expect(resetWording(95 * 60_000)).toBe("in 1 hour and 35 minutes");
    expect(resetWording(120 * 60_000)).toBe("in 2 hours");
    expect(resetWording(2.5 * 3_600_000)).toBe("in 3 hours");
    expect(resetWording(24 * 3_600_000)).toBe("in 24 hours");
  });

  it("words the allowance", () => {
    expect(quotaWording(1, "hour")).toBe("1 question an hour");
    expect(quotaWording(1500, "day")).toBe("1,500 questions a day");
  });
});

describe("what a message counts against", () => {
  const config = {
    perPerson: { limit: 5, unit: "hour" as const },
    perWorkspace: { limit: 100, unit: "day" as const },
    exemptUsers: new Set(["U0BOSS"]),
  };

  it("a person by platform user id, and the workspace, told once per channel", () => {
    expect(quotaCheck(message({ user: "U1", workspace: "T1", channel: "C1" }), config)).toEqual({
      counts: [
        { kind: "person", scope: "slack:U1", limit: 5, windowMs: 3_600_000 },
        { kind: "workspace", scope: "slack:T1", limit: 100, windowMs: 86_400_000 },
      ],
      channel: "slack:T1:C1",
    });
  });

  it("the Enterprise Grid organisation instead of the workspace on an org-wide install", () => {
    const check = quotaCheck(message({ workspace: "T1", organization: "E1" }), config);
    expect(check?.counts[1]?.scope).toBe("slack:E1");
  });

  it("a DM for the person only, every refusal told", () => {
    expect(quotaCheck(message({ user: "U1", direct: true }), config)).toEqual({
      counts: [{ kind: "person", scope: "slack:U1", limit: 5, windowMs: 3_600_000 }],
      channel: null,
    });
  });

  it("nothing for the terminal, exempt users, or when no quota is set", () => {
    expect(quotaCheck(message({ platform: "console" }), config)).toBeNull();
    expect(quotaCheck(message({ user: "U0BOSS" }), config)).toBeNull();
    expect(quotaCheck(message(), { ...config, perPerson: null, perWorkspace: null })).toBeNull();
    expect(quotaCheck(message({ direct: true }), { ...config, perPerson: null })).toBeNull();
  });
});
