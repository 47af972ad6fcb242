import { createHash } from "node:crypto";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { NothingToRunError, startApp, type Terminal } from "./app.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { createLogger, type Logger } from "./logger.js";

/** Exit codes, as docs/production.md documents them. */
const EXIT = { ok: 0, badConfig: 1, nothingToRun: 2, leftWithAnswersPending: 130 } as const;

/**
 * Where the terminal chat's logs go, so they never land in the middle of the conversation: one file
 * per checkout (named after a hash of the working directory), so two checkouts never share one.
 */
const TERMINAL_LOG_FILE = join(
  tmpdir(),
  `twilio-assistant-bridge-${createHash("sha256").update(process.cwd()).digest("hex").slice(0, 8)}.log`,
);

/** Entry point of `npm start`: configuration, logging, signals; everything else is in startApp. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(
      `${error.message}\nEvery variable, with its default and allowed values: docs/configuration.md\n`,
    );
    process.exit(EXIT.badConfig);
  }

  const platformConfigured = config.slack !== null || config.discord !== null;
  const chatInTerminal = !platformConfigured && process.stdin.isTTY === true;
  const { logger, logFile } = chatInTerminal
    ? terminalLogger(config)
    : {
        logger: createLogger({
          level: config.logLevel,
          pretty: process.stderr.isTTY === true,
          secrets: config.secrets,
        }),
        logFile: null,
      };
  // Printed once, before anything else: as text where no platform runs (above the terminal chat's
  // greeting, or above "Nothing to run", which would otherwise be all a misspelt token gets), else in the log.
  for (const warning of config.warnings) {
    if (platformConfigured) logger.warn(warning);
    else process.stderr.write(`Warning: ${warning}\n`);
  }
  const terminal: Terminal | null = chatInTerminal
    ? {
        input: process.stdin,
        output: process.stdout,
        user: safeUserName(),
        logFile,
        onLeaveNow: () => leaveNow(),
      }
    : null;

  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled promise rejection"));

  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config, { logger, terminal, onTerminalEnd: () => void shutdown("end of input") });
  } catch (error) {
    if (error instanceof NothingToRunError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT.nothingToRun);
    }
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      process.stderr.write(
        `Port ${config.port} is already in use (is another bridge running?). Set PORT to a free port.\n`,
      );
      process.exit(EXIT.badConfig);
    }
    throw error;
  }

  let shuttingDown = false;
  async function shutdown(why: string): Promise<void> {
    if (shuttingDown) {
      // In the terminal chat a second Ctrl-C means "now"; a platform host's repeated SIGTERM does not.
      if (chatInTerminal && why === "SIGINT") leaveNow();
      logger.info({ why }, "already shutting down");
      return;
    }
    shuttingDown = true;
    logger.info({ why }, "shutting down");
    const report = await app.stop();
    if (report.unfinished > 0)
      logger.warn(report, "some messages could not finish; their users were told to ask again");
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    process.exit(EXIT.ok);
  }
  function leaveNow(): void {
    logger.warn("left the terminal chat with answers still pending");
    process.exit(EXIT.leftWithAnswersPending);
  }
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/**
 * The terminal chat logs to a file, at LOG_LEVEL or info. If the file cannot be written, warnings
 * and errors go to stderr instead, one line each.
 */
function terminalLogger(config: Config): { logger: Logger; logFile: string | null } {
  const level = config.logLevelSet ? config.logLevel : "info";
  try {
    return {
      logger: createLogger({ level, pretty: true, secrets: config.secrets, file: TERMINAL_LOG_FILE }),
      logFile: TERMINAL_LOG_FILE,
    };
  } catch {
    const fallback = config.logLevelSet ? config.logLevel : "warn";
    return {
      logger: createLogger({ level: fallback, pretty: true, secrets: config.secrets }),
      logFile: null,
    };
  }
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
