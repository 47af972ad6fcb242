import { describe, expect, it } from "vitest";
import { loadEnv as load, problemsOf } from "../support/config.js";

describe("quota settings", () => {
  it("limits nobody when unset", () => {
    expect(load({}).quotas).toEqual({ perPerson: null, perWorkspace: null, exemptUsers: new Set() });
  });

  it("reads both quotas and the exempt users (comma-separated, spaces allowed)", () => {
    const { quotas } = load({
      QUOTA_PER_PERSON: "20/hour",
      QUOTA_PER_WORKSPACE: "500/day",
      QUOTA_EXEMPT_USERS: "U0BOSS, U0OPS ,123456789012345678",
    });
    expect(quotas).toEqual({
      perPerson: { limit: 20, unit: "hour" },
      perWorkspace: { limit: 500, unit: "day" },
      exemptUsers: new Set(["U0BOSS", "U0OPS", "123456789012345678"]),
    });
  });

  it("stops start-up on any other form, naming the variable and the accepted forms", () => {
    expect(problemsOf({ QUOTA_PER_PERSON: "20/week", QUOTA_PER_WORKSPACE: "0/day" })).toEqual([
      'QUOTA_PER_PERSON must be N/hour or N/day (e.g. 20/hour, 100/day) with N at least 1, got "20/week"',
      'QUOTA_PER_WORKSPACE must be N/hour or N/day (e.g. 20/hour, 100/day) with N at least 1, got "0/day"',
    ]);
  });
});
