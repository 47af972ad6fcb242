import { describe, expect, test } from "vitest";
import {
  type SlackAnswer,
  type SlackCaller,
  SlackNetworkError,
  SlackPlatformError,
} from "../../../adapters/slack/api.js";
import { UserDirectory } from "../../../adapters/slack/users.js";
import { memoryLogger } from "../../support/core.js";

type Info = (args: { user: string }) => Promise<unknown>;

function directory(info: Info) {
  const calls: string[] = [];
  // The Web API transport, answering users.info only.
  const call: SlackCaller = async (method, args) => {
    if (method !== "users.info") throw new Error(`unexpected call ${method}`);
    calls.push(String(args.user));
    return (await info({ user: String(args.user) })) as SlackAnswer;
  };
  const users = new UserDirectory(call, memoryLogger("silent").logger);
  return { users, calls };
}

describe("UserDirectory", () => {
  test("one call per user, shared by concurrent lookups, then cached", async () => {
    const { users, calls } = directory(async ({ user }) => ({
      ok: true,
      user: { id: user, name: "ana", profile: { display_name: "Ana", email: " Ana@Example.com " } },
    }));
    const [a, b] = await Promise.all([users.lookup("U1"), users.lookup("U1")]);
    expect(a).toEqual({ name: "Ana", email: "ana@example.com" });
    expect(b).toBe(a);
    expect(users.cached("U1")).toEqual(a);
    await users.lookup("U1");
    expect(calls).toEqual(["U1"]);
  });

  test("names fall back from display name to real name to handle", async () => {
    const { users } = directory(async ({ user }) => ({
      ok: true,
      user:
        user === "U1"
          ? { name: "handle", real_name: "Real Name", profile: { display_name: "" } }
          : { name: "handle" },
    }));
    expect((await users.lookup("U1"))?.name).toBe("Real Name");
    expect((await users.lookup("U2"))?.name).toBe("handle");
  });

  test("an address with a colon or without @ is not an identity", async () => {
    const { users } = directory(async () => ({
      ok: true,
      user: { name: "x", profile: { email: "a:b@example.com" } },
    }));
    expect((await users.lookup("U1"))?.email).toBeNull();
  });

  test("Slack's refusal is remembered; a network failure is not", async () => {
    let attempt = 0;
    const { users, calls } = directory(async () => {
      attempt++;
      if (attempt === 1) throw new SlackNetworkError("users.info", "refused");
      throw new SlackPlatformError("users.info", "user_not_found");
    });
    expect(await users.lookup("U9")).toBeNull();
    expect(users.cached("U9")).toBeUndefined();
    expect(await users.lookup("U9")).toEqual({ name: null, email: null });
    expect(await users.lookup("U9")).toEqual({ name: null, email: null });
    expect(calls).toEqual(["U9", "U9"]);
  });
});
