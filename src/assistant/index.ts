import type { AssistantConfig } from "../config.js";
import type { Logger } from "../logger.js";
import { type RunningSimulator, simulatorCredentials, startSimulator } from "../simulator/server.js";
import { createOpenAiAssistantClient } from "./openai/client.js";
import { createTwilioAssistantClient } from "./twilio/client.js";
import type { AssistantClient, FeedbackClient } from "./types.js";

export interface AssistantBackend {
  client: AssistantClient & FeedbackClient;
  /** True when the built-in offline simulator answers (nothing configured for the backend). */
  simulated: boolean;
  /** Who answers, for the terminal greeting and the logs. */
  description: string;
  /** Closes the client's connections, then the simulator; once no call is in flight any more. */
  close(): Promise<void>;
}

/**
 * The configured backend's client: Twilio, an OpenAI-compatible server, or the built-in simulator
 * (started here, on a free loopback port with fresh credentials) speaking either contract.
 */
export async function createAssistantClient(
  config: AssistantConfig,
  options: { logger: Logger; simulatorLatencyMs: number },
): Promise<AssistantBackend> {
  let simulator: RunningSimulator | null = null;
  const credentials = simulatorCredentials();
  if (config.simulated) {
    simulator = await startSimulator({
      ...credentials,
      assistantId: config.backend === "twilio" ? config.twilio.assistantId : "aia_asst_simulator",
      latencyMs: options.simulatorLatencyMs,
    });
  }
  const { timeoutMs } = config;
  let client: AssistantBackend["client"] & { close(): Promise<void> };
  let real: string;
  if (config.backend === "twilio") {
    const login = config.twilio.credentials ?? {
      username: credentials.accountSid,
      password: credentials.authToken,
    };
    client = createTwilioAssistantClient({
      baseUrl: simulator?.url ?? config.twilio.baseUrl,
      assistantId: config.twilio.assistantId,
      ...login,
      timeoutMs,
    });
    real = `Twilio assistant ${config.twilio.assistantId}`;
  } else {
    const { openai } = config;
    client = createOpenAiAssistantClient({
      ...openai,
      baseUrl: simulator ? `${simulator.url}/v1` : openai.baseUrl,
      apiKey: simulator ? credentials.openAiKey : openai.apiKey,
      timeoutMs,
      logger: options.logger.child({ component: "feedback" }),
    });
    real = `model ${openai.model} at ${new URL(openai.baseUrl).host} (Chat Completions)`;
  }
  const contract = config.backend === "twilio" ? "Twilio's" : "the Chat Completions";
  const description = simulator ? `the built-in OFFLINE SIMULATOR, speaking ${contract} contract` : real;
  return {
    client,
    simulated: simulator !== null,
    description,
    async close() {
      await client.close();
      await simulator?.close();
    },
  };
}
