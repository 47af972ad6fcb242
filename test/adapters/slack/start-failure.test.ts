import { createServer as createHttpServer } from "node:http";
import { webApi } from "@slack/bolt";
import { describe, expect, it } from "vitest";
import { describeStartFailure } from "../../../adapters/slack/start-failure.js";
import { closedPort } from "../../support/ports.js";

/** What the real Web API client throws for auth.test against `apiUrl` (no retries). */
async function authTestError(apiUrl: string): Promise<unknown> {
  const client = new webApi.WebClient("xoxb-start-failure-secret", {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    logLevel: webApi.LogLevel.ERROR,
  });
  return client.auth.test().then(
    () => {
      throw new Error("auth.test unexpectedly succeeded");
    },
    (error: unknown) => error,
  );
}

describe("Slack start failures", () => {
  it("names SLACK_API_URL, its host, auth.test and the network error when Slack cannot be reached", async () => {
    const port = await closedPort();
    const apiUrl = `http://127.0.0.1:${port}/api/`;
    expect(describeStartFailure(await authTestError(apiUrl), apiUrl)).toBe(
      `could not reach SLACK_API_URL (127.0.0.1:${port}) for auth.test: ECONNREFUSED`,
    );
  });

  it("says what Slack answered: an HTTP status, or its error code", async () => {
    const server = createHttpServer((request, response) => {
      if (request.url?.includes("busy")) response.writeHead(503).end();
      else
        response
          .writeHead(200, { "content-type": "application/json" })
          .end('{"ok":false,"error":"invalid_auth"}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const host = `127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    try {
      const busy = `http://${host}/busy/`;
      expect(describeStartFailure(await authTestError(busy), busy)).toBe(
        `auth.test on SLACK_API_URL (${host}) answered HTTP 503`,
      );
      const refused = `http://${host}/api/`;
      const text = describeStartFailure(await authTestError(refused), refused);
      expect(text).toBe("auth.test failed (invalid_auth)");
      expect(text).not.toContain("xoxb-");
    } finally {
      server.close();
    }
  });
});
