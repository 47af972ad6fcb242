import { userInfo } from "node:os";
import { NothingToRunError, startApp, type Terminal } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";

/** Entry point of `npm start`: configuration, logging, signals; everything else is in startApp. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\nSee .env.example and README.md for every variable.\n`);
    process.exit(1);
  }

  const platformConfigured = config.slack !== null || config.discord !== null;
  const terminal: Terminal | null =
    !platformConfigured && process.stdin.isTTY
      ? { input: process.stdin, output: process.stdout, user: safeUserName() }
      : null;
  // In the terminal chat, logs go to stderr and stay quiet unless asked, so the chat stays readable.
  const logger = createLogger({
    level: config.logLevelSet ? config.logLevel : terminal ? "warn" : "info",
    pretty: process.stderr.isTTY === true,
    secrets: config.secrets,
  });

  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled promise rejection"));

  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config, { logger, terminal, onTerminalEnd: () => void shutdown("end of input") });
  } catch (error) {
    if (error instanceof NothingToRunError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  let shuttingDown = false;
  async function shutdown(why: string): Promise<void> {
    if (shuttingDown) {
      logger.info({ why }, "already shutting down");
      return;
    }
    shuttingDown = true;
    logger.info({ why }, "shutting down");
    const report = await app.stop();
    if (report.unfinished > 0)
      logger.warn(report, "some messages could not finish; their users were told to ask again");
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(0);
  }
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

function safeUserName(): string {
  try {
    return userInfo().username || "you";
  } catch {
    return "you";
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `The bridge could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
