import { format } from "node:util";
import { type Logger as BoltLogger, LogLevel } from "@slack/bolt";
import type { Logger } from "../../src/logger.js";

/** Slack token shapes, scrubbed even when the value is not one we were given (an OAuth token in an error). */
const SLACK_TOKEN = /\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]+/g;
const REDACTED = "[redacted]";
/**
 * The Web API client's line for every failed request: whoever made the call reports the failure in
 * one line of its own (naming the call and SLACK_API_URL's host), so this one is only for debugging.
 */
const REQUEST_FAILED = /^http request failed\b/;

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
      const error = args.find((arg): arg is Error => arg instanceof Error);
      const rest = args.filter((arg) => arg !== error);
      const text = rest.length > 0 ? format(...rest) : (error?.message ?? "");
      const at = REQUEST_FAILED.test(text) ? "debug" : level;
      if (!logger.isLevelEnabled(at)) return;
      const msg = scrub(text);
      const err = error && {
        type: error.name,
        message: scrub(error.message),
        stack: scrub(error.stack ?? ""),
      };
      if (err) logger[at]({ err }, msg);
      else logger[at](msg);
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
