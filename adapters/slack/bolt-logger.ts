import { format } from "node:util";
import { type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import type { Logger } from "../../src/logger.js";

/** Slack token shapes, scrubbed even when the value is not one we were given (an OAuth token in an error). */
const SLACK_TOKEN = /\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+/g;
const REDACTED = "[redacted]";

/**
 * Bolt's, the Web API client's and the Socket Mode client's logger, written to our pino logger. Their
 * lines are free text (`logger.warn("…", error)`), so errors go to `err`, everything else is
 * formatted into the message, and tokens are scrubbed from both. The level is ours (LOG_LEVEL):
 * `setLevel` from the SDKs is ignored.
 */
export function boltLogger(logger: Logger, secrets: readonly string[]): BoltLogger {
  const known = secrets.filter((secret) => secret.length >= 4);
  const scrub = (text: string) =>
    known.reduce((out, secret) => out.split(secret).join(REDACTED), text).replace(SLACK_TOKEN, REDACTED);
  const write =
    (level: "debug" | "info" | "warn" | "error") =>
    (...args: unknown[]): void => {
      if (!logger.isLevelEnabled(level)) return;
      const error = args.find((arg): arg is Error => arg instanceof Error);
      const rest = args.filter((arg) => arg !== error);
      const msg = scrub(rest.length > 0 ? format(...rest) : (error?.message ?? ""));
      const err = error && {
        type: error.name,
        message: scrub(error.message),
        stack: scrub(error.stack ?? ""),
      };
      if (err) logger[level]({ err }, msg);
      else logger[level](msg);
    };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    getLevel: () => boltLevel(logger.level),
    setLevel: () => {},
    setName: () => {},
  };
}

function boltLevel(level: string): LogLevel {
  switch (level) {
    case "trace":
    case "debug":
      return LogLevel.DEBUG;
    case "info":
      return LogLevel.INFO;
    case "warn":
      return LogLevel.WARN;
    default:
      return LogLevel.ERROR;
  }
}
