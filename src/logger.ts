import { destination as fileDestination, type Logger, pino } from "pino";
import pretty from "pino-pretty";
import type { LogLevel } from "./config.js";

export type { Logger } from "pino";

export interface LoggerOptions {
  level: LogLevel;
  /** Readable lines (a terminal) instead of one JSON object a line. */
  pretty: boolean;
  /** Values never to print, whatever field or message they hide in (tokens, secrets). */
  secrets: readonly string[];
  /** @default process.stderr for pretty output, stdout otherwise */
  destination?: NodeJS.WritableStream;
}

const REDACTED = "[redacted]";

/** Field names that carry credentials in the libraries we log errors from. */
const REDACT_PATHS = [
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "*.headers.Authorization",
  "config.headers.Authorization",
];

/** The process logger. Secrets are scrubbed from every line at every level, by field and by value. */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 4);
  const scrub = (line: string) => secrets.reduce((out, secret) => out.split(secret).join(REDACTED), line);
  const destination =
    options.destination ??
    (options.pretty
      ? pretty({ sync: true, destination: 2, ignore: "pid,hostname", translateTime: "HH:MM:ss.l" })
      : fileDestination({ dest: 1, sync: false }));
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      base: null,
      hooks: secrets.length > 0 ? { streamWrite: scrub } : {},
    },
    destination,
  );
}
