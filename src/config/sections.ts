/**
 * Where docs/configuration.md documents each variable: the anchor of its section, so that a
 * configuration error can point at the right table (test/docs.test.ts checks every variable the
 * reader reads is in the section named here).
 */
const SECTIONS: ReadonlyArray<readonly [anchor: string, test: RegExp]> = [
  ["choosing-the-backend", /^ASSISTANT_BACKEND$/],
  ["twilio-backend", /^(TWILIO_|ASSISTANT_MODE$)/],
  ["openai-compatible-backend", /^(OPENAI_|ASSISTANT_INSTRUCTIONS$|ASSISTANT_HISTORY_)/],
  ["assistant-calls", /^(ASSISTANT_TIMEOUT_MS|ASSISTANT_MAX_INPUT_CHARS|ANSWER_MAX_CHARS)$/],
  ["queue-and-rate-limit", /^(ASSISTANT_RATE_|ASSISTANT_CONCURRENCY$|ASSISTANT_MAX_RETRIES$|QUEUE_)/],
  ["slack", /^SLACK_/],
  ["discord", /^DISCORD_/],
  ["redis", /^REDIS_/],
  ["thread-context", /^THREAD_CONTEXT/],
  ["usage-quotas", /^QUOTA_/],
  ["feedback", /^FEEDBACK$/],
  ["http-server-and-process", /^(PORT|LOG_LEVEL|METRICS_TOKEN|SHUTDOWN_GRACE_MS)$/],
  ["simulator", /^SIMULATOR_/],
];

/** The docs/configuration.md anchor of `name`'s section; null for a name the bridge does not read. */
export function configSection(name: string): string | null {
  return SECTIONS.find(([, test]) => test.test(name))?.[0] ?? null;
}
