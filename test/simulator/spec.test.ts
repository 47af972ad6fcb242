import { afterEach, describe, expect, it } from "vitest";
import { type RunningSimulator, simulatorCredentials, startSimulator } from "../../src/simulator/server.js";
import { specSchemas } from "../support/schemas.js";

/** Twilio's own spec; its number formats mean nothing to JSON Schema. */
const expectSchema = specSchemas("twilio-assistants-v1.json", { formats: ["float"] });

const ASSISTANT = "aia_asst_spec";
const API_KEY = `SK${"1".repeat(32)}`;
let simulator: RunningSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function start(options: { username?: string } = {}) {
  simulator = await startSimulator({ ...simulatorCredentials(), assistantId: ASSISTANT, ...options });
  const sim = simulator;
  const headers = {
    authorization: `Basic ${Buffer.from(`${sim.username}:${sim.authToken}`).toString("base64")}`,
    "content-type": "application/json",
  };
  const call = async (method: string, path: string, payload?: unknown) => {
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  return { sim, call };
}

describe("the simulator's answers match Twilio's spec", () => {
  it("sends answers of every kind without a null error field", async () => {
    const { call } = await start();
    for (const body of ["hello", "#flagged", "#aborted", "#fail"]) {
      const answer = await call("POST", `/v1/Assistants/${ASSISTANT}/Messages`, {
        identity: "user_id:a",
        body,
        session_id: "s1",
      });
      expect(answer.status).toBe(200);
      expectSchema("send_message_response", answer.json);
    }
  });

  it("reports the account's AC SID, not the API key, when a key authenticates", async () => {
    const { sim, call } = await start({ username: API_KEY });
    const answer = await call("POST", `/v1/Assistants/${ASSISTANT}/Messages`, {
      identity: "user_id:a",
      body: "hi",
    });
    expect(answer.json.account_sid).toBe(sim.accountSid);
    expect(answer.json.account_sid).toMatch(/^AC/);
    expectSchema("send_message_response", answer.json);
  });

  it("records a feedback (201) and lists it", async () => {
    const { call } = await start();
    const body = { session_id: "slack__T/C/1.2", score: 0, text: "wrong answer" };
    expectSchema("create_feedback_request", body);
    const created = await call("POST", `/v1/Assistants/${ASSISTANT}/Feedbacks`, body);
    expect(created.status).toBe(201);
    expectSchema("feedback", created.json);
    expect(created.json).toMatchObject({ session_id: "slack__T/C/1.2", score: 0, text: "wrong answer" });
    expect(created.json.id).toMatch(/^aia_fdbk_/);

    await call("POST", `/v1/Assistants/${ASSISTANT}/Feedbacks`, { session_id: "s2", score: 1 });
    const list = await call("GET", `/v1/Assistants/${ASSISTANT}/Feedbacks?PageSize=1`);
    expect(list.status).toBe(200);
    expectSchema("list_feedbacks_response", list.json);
    expect(list.json.feedbacks).toEqual([created.json]);
    expect((list.json.meta as Record<string, unknown>).next_page_url).toMatch(/Page=1$/);
  });

  it("lists a session's messages, with a session id percent-encoded in the path", async () => {
    const { call } = await start();
    const session = "discord__G/C/T";
    await call("POST", `/v1/Assistants/${ASSISTANT}/Messages`, {
      identity: "user_id:a",
      body: "hi",
      session_id: session,
    });
    const list = await call("GET", `/v1/Sessions/${encodeURIComponent(session)}/Messages`);
    expect(list.status).toBe(200);
    expectSchema("list_messages_response", list.json);
    const messages = list.json.messages as Array<Record<string, unknown>>;
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(messages[0]?.content).toEqual({ text: "hi" });
    expect((await call("GET", "/v1/Sessions/unknown/Messages")).json).toMatchObject({
      code: 20404,
      status: 404,
    });
  });

  it("refuses feedback the spec does not allow, with Twilio-shaped errors", async () => {
    const { call, sim } = await start();
    const path = `/v1/Assistants/${ASSISTANT}/Feedbacks`;
    const bad = [
      { score: 1 },
      { session_id: "s", score: 1, message_id: "msg_1" },
      { session_id: "s", score: 2 },
      { session_id: "s", score: -0.5 },
      { session_id: "s", score: 1, text: 5 },
    ];
    for (const payload of bad) {
      const answer = await call("POST", path, payload);
      expect(answer.status, JSON.stringify(payload)).toBe(400);
      expect(answer.json).toMatchObject({
        code: 20001,
        status: 400,
        more_info: expect.stringContaining("20001"),
      });
    }
    expect((await call("GET", `${path}?PageSize=1001`)).status).toBe(400);
    expect(
      (await call("POST", `/v1/Assistants/aia_asst_other/Feedbacks`, { session_id: "s", score: 1 })).status,
    ).toBe(404);
    expect(sim.feedbacks).toEqual([]);
    const withMessage = await call("POST", path, { session_id: "s", score: 1, message_id: "aia_msg_1" });
    expect(withMessage.json.message_id).toBe("aia_msg_1");
  });

  it("takes a feedback with only session_id, as the spec allows, answering score 0", async () => {
    const { call, sim } = await start();
    const request = { session_id: "s", text: "no score given" };
    expectSchema("create_feedback_request", request);
    const answer = await call("POST", `/v1/Assistants/${ASSISTANT}/Feedbacks`, request);
    expect(answer.status).toBe(201);
    expectSchema("feedback", answer.json);
    expect(sim.feedbacks).toMatchObject([{ session_id: "s", text: "no score given", score: 0 }]);
  });
});
