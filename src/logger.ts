import { openSync, renameSync, statSync } from "node:fs";
import { destination as fileDestination, type Logger, pino } from "pino";
import pretty from "pino-pretty";

export type { Logger } from "pino";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface LoggerOptions {
  level: LogLevel;
  /** Readable lines (a terminal) instead of one JSON object a line. */
  pretty: boolean;
  /** Values never to print, whatever field or message they hide in (tokens, secrets). */
  secrets: readonly string[];
  /** Readable lines appended to this file instead (the terminal chat keeps its screen to itself). */
  file?: string;
  /** @default process.stderr for pretty output, stdout otherwise */
  destination?: NodeJS.WritableStream;
}

const REDACTED = "[redacted]";

/** A log file this big when a logger opens it is moved to `<file>.1` (one older file kept). */
export const MAX_LOG_FILE_BYTES = 5 * 1024 * 1024;

/**
 * Fields that carry credentials in what we log. Exact paths: pino's wildcard redaction costs a walk of
 * every logged object, and secret values are scrubbed from every line anyway (below).
 */
const REDACT_PATHS = ["token", "authorization", "headers.authorization", "err.config.headers.Authorization"];

/** The process logger. Secrets are scrubbed from every line at every level, by field and by value. */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 4);
  // One pass over each line for all secrets, longest first so a secret inside another is not half-hidden.
  const pattern = new RegExp(
    [...secrets]
      .sort((a, b) => b.length - a.length)
      .map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("|"),
    "g",
  );
  const scrub = (line: string) => line.replace(pattern, REDACTED);
  // One line an entry (fields inline) unless it carries an error, whose stack keeps its lines.
  const readable = { ignore: "pid,hostname", translateTime: "HH:MM:ss.l", singleLine: true };
  const destination =
    options.destination ??
    (options.file !== undefined
      ? pretty({
          ...readable,
          // A file outlives the day it was started: its lines carry the date and the time-zone offset.
          translateTime: "SYS:yyyy-mm-dd HH:MM:ss.l o",
          sync: true,
          colorize: false,
          destination: openLogFile(options.file),
        })
      : options.pretty
        ? pretty({ ...readable, sync: true, destination: 2 })
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

/**
 * Opens `file` for appending, first moving it to `<file>.1` when it has reached MAX_LOG_FILE_BYTES, so
 * runs that keep appending to one file never fill the disk. Opened here, so a file that cannot be
 * written fails now, where the caller can fall back.
 */
function openLogFile(file: string): number {
  try {
    if (statSync(file).size >= MAX_LOG_FILE_BYTES) renameSync(file, `${file}.1`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  return openSync(file, "a");
}
