import { ConfigError, loadConfig } from "../config.js";
import { startSimulator } from "./server.js";

/** Used when no Twilio credentials are configured; made up, they open nothing but this simulator. */
const DEMO = { username: "AC00000000000000000000000000000000", password: "simulator-auth-token" };

/** `npm run simulator`: the offline assistant alone, on SIMULATOR_PORT. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  for (const warning of config.warnings) process.stderr.write(`Warning: ${warning}\n`);
  const credentials = config.assistant.credentials ?? DEMO;
  let simulator: Awaited<ReturnType<typeof startSimulator>>;
  try {
    simulator = await startSimulator({
      port: config.simulator.port,
      accountSid: credentials.username,
      authToken: credentials.password,
      assistantId: config.assistant.assistantId,
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
  const lines = [
    `Offline assistant simulator listening on ${simulator.url}`,
    "Point the bridge at it with:",
    `  TWILIO_ASSISTANTS_URL=${simulator.url}`,
    `  TWILIO_ASSISTANT_ID=${simulator.assistantId}`,
    config.assistant.credentials
      ? "  (and the TWILIO_* credentials you already set)"
      : `  TWILIO_ACCOUNT_SID=${DEMO.username}\n  TWILIO_AUTH_TOKEN=${DEMO.password}`,
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
