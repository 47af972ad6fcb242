import { SIMULATOR_MODEL } from "../config/assistant.js";
import { ConfigError, loadConfig } from "../config.js";
import { startSimulator } from "./server.js";

/** Used when nothing is configured; made up, they open nothing but this simulator. */
const DEMO = {
  username: "AC00000000000000000000000000000000",
  password: "simulator-auth-token",
  assistantId: "aia_asst_simulator",
  openAiKey: "sk-simulator",
};

/** `npm run simulator`: the offline assistant alone, on SIMULATOR_PORT, speaking both contracts. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  for (const warning of config.warnings) process.stderr.write(`Warning: ${warning}\n`);
  const { assistant } = config;
  // Configured credentials open the simulator too, so a .env made for the real service works as is.
  const twilio = assistant.backend === "twilio" ? assistant.twilio : null;
  const credentials = twilio?.credentials ?? { username: DEMO.username, password: DEMO.password };
  const assistantId = twilio && !assistant.simulated ? twilio.assistantId : DEMO.assistantId;
  const openAiKey = (assistant.backend === "openai" ? assistant.openai.apiKey : null) ?? DEMO.openAiKey;
  let simulator: Awaited<ReturnType<typeof startSimulator>>;
  try {
    simulator = await startSimulator({
      port: config.simulator.port,
      // With an API key (SK…) as the user, answers still report an account SID (AC…), as Twilio's do.
      accountSid: credentials.username.startsWith("AC") ? credentials.username : DEMO.username,
      username: credentials.username,
      authToken: credentials.password,
      assistantId,
      openAiKey,
      latencyMs: config.simulator.latencyMs,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    const port = config.simulator.port;
    process.stderr.write(
      `Port ${port} is already in use (another simulator?). Set SIMULATOR_PORT to a free one, e.g. SIMULATOR_PORT=${port + 1} npm run simulator\n`,
    );
    process.exit(1);
  }
  const twilioLine = twilio?.credentials
    ? `TWILIO_ASSISTANTS_URL=${simulator.url} TWILIO_ASSISTANT_ID=${assistantId}  (with the TWILIO_* credentials you already set)`
    : `TWILIO_ASSISTANTS_URL=${simulator.url} TWILIO_ACCOUNT_SID=${DEMO.username} TWILIO_AUTH_TOKEN=${DEMO.password} TWILIO_ASSISTANT_ID=${assistantId}`;
  const openAiLine = `ASSISTANT_BACKEND=openai OPENAI_BASE_URL=${simulator.url}/v1 OPENAI_API_KEY=${openAiKey === DEMO.openAiKey ? openAiKey : "<your OPENAI_API_KEY>"} OPENAI_MODEL=${SIMULATOR_MODEL}`;
  const lines = [
    `Offline assistant simulator listening on ${simulator.url}, speaking both contracts.`,
    "Put one of these lines in front of a command (e.g. npm start):",
    `  Twilio:            ${twilioLine}`,
    `  Chat Completions:  ${openAiLine}`,
    "Demo triggers in a message: #flagged #aborted #fail #429 #error #markdown #long=N #slow=MS",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  const stop = () => void simulator.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
