import { type Config, loadConfig } from "../../src/config.js";
import { type RunningSimulator, simulatorCredentials, startSimulator } from "../../src/simulator/server.js";
import { type RunningSlackApi, startSlackApi } from "../support/slack-api.js";

export const BOT_TOKEN = "xoxb-app-test-1111-secret-bot-token";
export const SIGNING_SECRET = "app-test-signing-secret-2222";
export const METRICS_TOKEN = "app-test-metrics-token-3333";
export const ASSISTANT_ID = "aia_asst_apptest";

export interface Backends {
  simulator: RunningSimulator;
  slack: RunningSlackApi;
  /** The environment a deployment would set, pointing at the doubles. */
  env: Record<string, string>;
  config(extra?: Record<string, string>): Config;
  close(): Promise<void>;
}

/** A Twilio simulator and a Slack Web API double, plus the env that wires the bridge to them. */
export async function startBackends(options: { latencyMs?: number } = {}): Promise<Backends> {
  const credentials = simulatorCredentials();
  const simulator = await startSimulator({
    ...credentials,
    assistantId: ASSISTANT_ID,
    latencyMs: options.latencyMs ?? 0,
  });
  const slack = await startSlackApi({ botToken: BOT_TOKEN });
  const env: Record<string, string> = {
    TWILIO_ACCOUNT_SID: credentials.accountSid,
    TWILIO_AUTH_TOKEN: credentials.authToken,
    TWILIO_ASSISTANT_ID: ASSISTANT_ID,
    TWILIO_ASSISTANTS_URL: simulator.url,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.url,
    METRICS_TOKEN,
    PORT: "0",
  };
  return {
    simulator,
    slack,
    env,
    config: (extra = {}) => loadConfig({ ...env, ...extra }, { envFile: null }),
    async close() {
      slack.releaseHolds();
      await slack.close();
      await simulator.close();
    },
  };
}
