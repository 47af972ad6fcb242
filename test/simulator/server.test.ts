import { afterEach, describe, expect, it } from "vitest";
import { longAnswer, scriptFromBody } from "../../src/simulator/scripted.js";
import { type RunningSimulator, simulatorCredentials, startSimulator } from "../../src/simulator/server.js";

let simulator: RunningSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function start(options: { maxSessions?: number } = {}) {
  simulator = await startSimulator({ ...simulatorCredentials(), assistantId: "aia_asst_sim", ...options });
  const auth = `Basic ${Buffer.from(`${simulator.accountSid}:${simulator.authToken}`).toString("base64")}`;
  const url = `${simulator.url}/v1/Assistants/aia_asst_sim/Messages`;
  const post = async (payload: unknown, headers: Record<string, string> = { authorization: auth }) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(payload),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  return { post };
}

describe("offline assistant simulator", () => {
  it("remembers earlier turns of a session, and only of that session", async () => {
    const { post } = await start();
    await post({ identity: "user_id:a", body: "my name is Ana", session_id: "s1" });
    const second = await post({ identity: "user_id:a", body: "what is my name?", session_id: "s1" });
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({
      status: "Success",
      flagged: false,
      aborted: false,
      session_id: "s1",
    });
    expect(second.json).not.toHaveProperty("error");
    expect(second.json.body).toContain("message 2 of our conversation");
    expect(second.json.body).toContain("my name is Ana");
    const other = await post({ identity: "user_id:a", body: "hello", session_id: "s2" });
    expect(other.json.body).toContain("start of our conversation");
  });

  it("answers Twilio-shaped errors for bad auth, unknown assistants and invalid requests", async () => {
    const { post } = await start();
    const unauthorized = await post(
      { identity: "user_id:a", body: "x" },
      { authorization: "Basic Zm9vOmJhcg==" },
    );
    expect(unauthorized).toEqual({
      status: 401,
      json: {
        code: 20003,
        message: "Authenticate",
        more_info: "https://www.twilio.com/docs/errors/20003",
        status: 401,
      },
    });
    const missingBody = await post({ identity: "user_id:a" });
    expect(missingBody.status).toBe(400);
    expect(missingBody.json).toMatchObject({ code: 20001, status: 400 });
    expect((await post({ identity: "nocolon", body: "x" })).status).toBe(400);

    const unknown = await fetch(`${simulator?.url}/v1/Assistants/aia_asst_other/Messages`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${simulator?.accountSid}:${simulator?.authToken}`).toString("base64")}`,
      },
      body: "{}",
    });
    expect(unknown.status).toBe(404);
  });

  it("forgets the least recently used sessions past its bound", async () => {
    const { post } = await start({ maxSessions: 2 });
    await post({ identity: "user_id:a", body: "one", session_id: "s1" });
    await post({ identity: "user_id:a", body: "two", session_id: "s2" });
    await post({ identity: "user_id:a", body: "three", session_id: "s3" });
    const again = await post({ identity: "user_id:a", body: "back", session_id: "s1" });
    expect(again.json.body).toContain("start of our conversation");
  });

  it("plays the scripted demo answers typed in a message", async () => {
    const { post } = await start();
    expect((await post({ identity: "user_id:a", body: "#flagged please" })).json.flagged).toBe(true);
    expect((await post({ identity: "user_id:a", body: "#aborted" })).json.aborted).toBe(true);
    expect((await post({ identity: "user_id:a", body: "#fail" })).json).toMatchObject({ status: "Failed" });
    expect((await post({ identity: "user_id:a", body: "#429" })).status).toBe(429);
    expect((await post({ identity: "user_id:a", body: "#error" })).status).toBe(500);
  });

  it("answers #429 once per message, then lets the retry through, and forgets the refused try", async () => {
    const { post } = await start();
    const ask = { identity: "user_id:a", body: "hi #429", session_id: "s429" };
    const refused = await post(ask);
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ code: 20429 });
    const retried = await post(ask);
    expect(retried.status).toBe(200);
    // The refused try was never processed, so the answer is the first of the session.
    expect(retried.json.body).toContain("start of our conversation");
    // Asked again, the same message is refused once again.
    expect((await post(ask)).status).toBe(429);
    expect((await post({ ...ask, session_id: "other" })).status).toBe(429);
  });

  it("makes long answers of the size asked for, in numbered paragraphs", () => {
    const text = longAnswer(9000);
    expect(text.length).toBeGreaterThanOrEqual(9000);
    expect(text.length).toBeLessThan(9500);
    expect(text).toMatch(/^Paragraph 1\./);
    const script = scriptFromBody({ identity: "user_id:a", body: "#long=3000", sessionId: "s", history: [] });
    expect(script?.kind === "answer" && script.body.length >= 3000).toBe(true);
  });
});
