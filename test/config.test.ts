import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { loadEnv as load, problemsOf } from "./support/config.js";

const SID = `AC${"a".repeat(32)}`;
const TWILIO = {
  TWILIO_ACCOUNT_SID: SID,
  TWILIO_AUTH_TOKEN: "token-value-1234",
  TWILIO_ASSISTANT_ID: "aia_asst_123",
};

describe("loadConfig", () => {
  it("falls back to the offline simulator when no Twilio variable is set", () => {
    const config = load({});
    expect(config.assistant).toMatchObject({
      backend: "twilio",
      simulated: true,
      twilio: { credentials: null },
    });
    expect(config.slack).toBeNull();
    expect(config.discord).toBeNull();
  });

  it("applies the documented defaults", () => {
    const config = load(TWILIO);
    expect(config.assistant).toMatchObject({
      backend: "twilio",
      simulated: false,
      mode: "chat",
      timeoutMs: 30_000,
      maxInputChars: 4000,
      maxAnswerChars: 12_000,
      historyMaxChars: 24_000,
      twilio: {
        baseUrl: "https://assistants.twilio.com",
        credentials: { username: SID, password: "token-value-1234" },
      },
    });
    expect(config.queue).toEqual({
      rateLimit: 10,
      rateIntervalMs: 1000,
      concurrency: 10,
      maxRetries: 3,
      maxPending: 1000,
      maxPendingPerUser: 5,
    });
    expect(config).toMatchObject({
      port: 3000,
      logLevel: "info",
      shutdownGraceMs: 25_000,
      metricsToken: null,
    });
  });

  it("reads ANSWER_MAX_CHARS and refuses a cap too small to show anything", () => {
    expect(load({ ...TWILIO, ANSWER_MAX_CHARS: "50000" }).assistant.maxAnswerChars).toBe(50_000);
    expect(problemsOf({ ...TWILIO, ANSWER_MAX_CHARS: "200" })).toEqual([
      'ANSWER_MAX_CHARS must be a whole number from 1000 up, got "200"',
    ]);
  });

  it("reads the thread context's switch and limits, on with 20 messages and 4,000 characters by default", () => {
    expect(load(TWILIO).threadContext).toEqual({ maxMessages: 20, maxChars: 4_000 });
    expect(load({ ...TWILIO, THREAD_CONTEXT: "off" }).threadContext).toBeNull();
    const limits = { THREAD_CONTEXT_MAX_MESSAGES: "50", THREAD_CONTEXT_MAX_CHARS: "8000" };
    expect(load({ ...TWILIO, ...limits }).threadContext).toEqual({ maxMessages: 50, maxChars: 8_000 });
    expect(problemsOf({ ...TWILIO, THREAD_CONTEXT_MAX_MESSAGES: "500" })).toEqual([
      'THREAD_CONTEXT_MAX_MESSAGES must be a whole number from 1 to 100, got "500"',
    ]);
  });

  it("uses an API key pair instead of the auth token", () => {
    const config = load({
      TWILIO_API_KEY: `SK${"b".repeat(32)}`,
      TWILIO_API_SECRET: "s3cret",
      TWILIO_ASSISTANT_ID: "aia_asst_1",
    });
    expect(config.assistant).toMatchObject({
      twilio: { credentials: { username: `SK${"b".repeat(32)}`, password: "s3cret" } },
    });
  });

  it("names every bad variable in one error, without echoing secrets", () => {
    const problems = problemsOf({
      TWILIO_ACCOUNT_SID: "AC123",
      TWILIO_AUTH_TOKEN: "super-secret-token",
      TWILIO_ASSISTANT_ID: "asst_1",
      ASSISTANT_MODE: "sms",
      ASSISTANT_RATE_LIMIT: "0",
      PORT: "http",
      TWILIO_ASSISTANTS_URL: "ftp://example.com",
      SLACK_BOT_TOKEN: "xoxp-user-token",
    });
    expect([...problems].sort()).toEqual(
      [
        "TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits",
        "TWILIO_ASSISTANT_ID must start with aia_asst_",
        'ASSISTANT_MODE must be one of chat, email, voice, got "sms"',
        'TWILIO_ASSISTANTS_URL must be an http(s) URL, got "ftp://example.com"',
        'ASSISTANT_RATE_LIMIT must be a whole number from 1 up, got "0"',
        "SLACK_BOT_TOKEN must be a bot token starting with xoxb-",
        "SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) is required with SLACK_BOT_TOKEN",
        'PORT must be a whole number from 0 to 65535, got "http"',
      ].sort(),
    );
    expect(problems.join("\n")).not.toContain("super-secret-token");
    expect(problems.join("\n")).not.toContain("xoxp-user-token");
  });

  it("asks for the missing half of a credential pair", () => {
    expect(problemsOf({ TWILIO_ACCOUNT_SID: SID, TWILIO_ASSISTANT_ID: "aia_asst_1" })).toEqual([
      "TWILIO_AUTH_TOKEN is required with TWILIO_ACCOUNT_SID",
    ]);
    expect(problemsOf({ TWILIO_API_SECRET: "x", TWILIO_ASSISTANT_ID: "aia_asst_1" })).toEqual([
      "TWILIO_API_KEY is required with TWILIO_API_SECRET",
    ]);
    expect(problemsOf({ TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: "t" })).toEqual([
      "TWILIO_ASSISTANT_ID is required (aia_asst_…) when Twilio credentials are set",
    ]);
  });

  it("chooses Slack's mode from the tokens present and parses the Slack options", () => {
    const http = load({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "sig" });
    expect(http.slack).toMatchObject({
      mode: "http",
      apiUrl: "https://slack.com/api/",
      threadFollowups: true,
      identity: "user",
    });
    const socket = load({
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_APP_TOKEN: "xapp-1",
      SLACK_API_URL: "http://127.0.0.1:9999/api",
      SLACK_THREAD_FOLLOWUPS: "off",
      SLACK_IDENTITY: "email",
      SLACK_ALLOWED_CHANNELS: "C1, C2",
    });
    expect(socket.slack).toMatchObject({
      mode: "socket",
      apiUrl: "http://127.0.0.1:9999/api/",
      threadFollowups: false,
    });
    expect([...(socket.slack?.allowedChannels ?? [])]).toEqual(["C1", "C2"]);
    expect(problemsOf({ SLACK_SIGNING_SECRET: "sig" })).toEqual([
      "SLACK_BOT_TOKEN is required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set",
    ]);
  });

  it("reads up to four |-separated Slack suggested prompts, and none when unset", () => {
    const slack = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "sig" };
    expect(load(slack).slack?.suggestedPrompts).toEqual([]);
    expect(
      load({ ...slack, SLACK_SUGGESTED_PROMPTS: " What can you do? | Track my order " }).slack,
    ).toMatchObject({
      suggestedPrompts: ["What can you do?", "Track my order"],
    });
    expect(problemsOf({ ...slack, SLACK_SUGGESTED_PROMPTS: "a|b|c|d|e" })).toEqual([
      "SLACK_SUGGESTED_PROMPTS may list at most 4 prompts, got 5",
    ]);
    expect(problemsOf({ ...slack, SLACK_SUGGESTED_PROMPTS: "a||b" })).toEqual([
      'SLACK_SUGGESTED_PROMPTS has an empty prompt (prompts are separated by "|"), got "a||b"',
    ]);
  });

  it("reads the guilds Discord's commands are registered in, and refuses what is not a guild id", () => {
    const discord = { DISCORD_BOT_TOKEN: "abc.def" };
    expect(load(discord).discord?.commandGuilds).toBeNull();
    const ids = "1200000000000000001, 1200000000000000002";
    expect([...(load({ ...discord, DISCORD_COMMAND_GUILDS: ids }).discord?.commandGuilds ?? [])]).toEqual([
      "1200000000000000001",
      "1200000000000000002",
    ]);
    expect(problemsOf({ ...discord, DISCORD_COMMAND_GUILDS: "my-server" })).toEqual([
      'DISCORD_COMMAND_GUILDS must list guild ids (digits), got "my-server"',
    ]);
  });

  it("parses Discord options", () => {
    const config = load({
      DISCORD_BOT_TOKEN: "abc.def",
      DISCORD_API_URL: "http://127.0.0.1:1/api/",
      DISCORD_ALLOWED_USERS: "1 2",
    });
    expect(config.discord).toMatchObject({ botToken: "abc.def", apiUrl: "http://127.0.0.1:1/api" });
    expect([...(config.discord?.allowedUsers ?? [])]).toEqual(["1", "2"]);
  });

  it("shows feedback buttons unless FEEDBACK=off, and refuses other values", () => {
    expect(load({}).feedback).toBe("buttons");
    expect(load({ FEEDBACK: "OFF" }).feedback).toBe("off");
    expect(problemsOf({ FEEDBACK: "yes" })).toEqual(['FEEDBACK must be one of buttons, off, got "yes"']);
  });

  it("reads a .env file, with the real environment taking precedence", () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-config-"));
    const file = join(dir, ".env");
    writeFileSync(file, "PORT=4567\nLOG_LEVEL=debug\n");
    const config = loadConfig({ LOG_LEVEL: "warn" }, { envFile: file });
    expect(config.port).toBe(4567);
    expect(config.logLevel).toBe("warn");
    expect(loadConfig({}, { envFile: join(dir, "missing.env") }).port).toBe(3000);
  });

  it("says where each bad value was set, .env or the environment, and where it is documented", () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-config-"));
    const file = join(dir, ".env");
    writeFileSync(file, "PORT=http\nLOG_LEVEL=loud\nSLACK_APP_TOKEN=xapp-1\n");
    let message = "";
    try {
      loadConfig({ LOG_LEVEL: "shout", ASSISTANT_RATE_LIMIT: "0" }, { envFile: file });
    } catch (error) {
      if (error instanceof ConfigError) message = error.message;
    }
    const noteOf = (start: string) => {
      const lines = message.split("\n");
      const at = lines.findIndex((line) => line.startsWith(`  - ${start}`));
      return at < 0 ? null : lines[at + 1]?.trim();
    };
    expect(noteOf("PORT")).toBe("(set in .env; see docs/configuration.md#http-server-and-process)");
    // The environment wins over .env, and the note says so.
    expect(noteOf("LOG_LEVEL")).toBe(
      "(set in the environment; see docs/configuration.md#http-server-and-process)",
    );
    expect(noteOf("ASSISTANT_RATE_LIMIT")).toBe(
      "(set in the environment; see docs/configuration.md#queue-and-rate-limit)",
    );
    // A missing variable was set nowhere: only where it is documented.
    expect(noteOf("SLACK_BOT_TOKEN")).toBe("(see docs/configuration.md#slack)");
  });

  it("collects every secret so the logger can scrub them", () => {
    const config = load({
      ...TWILIO,
      SLACK_BOT_TOKEN: "xoxb-abc",
      SLACK_SIGNING_SECRET: "sigsecret",
      METRICS_TOKEN: "mtok",
    });
    expect(config.secrets).toEqual(
      expect.arrayContaining(["token-value-1234", "xoxb-abc", "sigsecret", "mtok"]),
    );
  });

  describe("Redis", () => {
    it("keeps state in memory unless REDIS_URL is set", () => {
      expect(load({}).redis).toBeNull();
      expect(load({ REDIS_URL: "redis://127.0.0.1:6379" }).redis).toEqual({
        url: "redis://127.0.0.1:6379",
        prefix: "{bridge}:",
        leaseMs: 30_000,
        allowEviction: false,
      });
    });

    it("takes TLS, a prefix and a lease time", () => {
      const config = load({
        REDIS_URL: "rediss://default:pw-123456@cache.example.com:6380/2",
        REDIS_PREFIX: "{chat-prod}:",
        REDIS_LEASE_MS: "10000",
        REDIS_ALLOW_EVICTION: "true",
      });
      expect(config.redis).toEqual({
        url: "rediss://default:pw-123456@cache.example.com:6380/2",
        prefix: "{chat-prod}:",
        leaseMs: 10_000,
        allowEviction: true,
      });
    });

    it("hands the URL's password to the logger's scrubber, encoded and decoded", () => {
      const config = load({ REDIS_URL: "redis://:p%40ss-w0rd@127.0.0.1:6379" });
      expect(config.secrets).toEqual(expect.arrayContaining(["p%40ss-w0rd", "p@ss-w0rd"]));
    });

    it("refuses other schemes and bad prefixes without echoing the URL's credentials", () => {
      const problems = problemsOf({
        REDIS_URL: "http://user:hunter2-secret@127.0.0.1:6379",
        REDIS_PREFIX: "bridge:",
        REDIS_LEASE_MS: "5",
      });
      expect([...problems].sort()).toEqual(
        [
          'REDIS_URL must start with redis:// or rediss:// (TLS), got "http://…"',
          'REDIS_PREFIX must begin with one hash tag such as {bridge}: (Redis Cluster runs a script only on keys of one slot), got "bridge:"',
          'REDIS_LEASE_MS must be a whole number from 100 up, got "5"',
        ].sort(),
      );
      expect(problems.join("\n")).not.toContain("hunter2");
      const unparseable = problemsOf({ REDIS_URL: "redis://user:hunter2-secret@[bad" });
      expect(unparseable).toEqual([
        "REDIS_URL must be a URL such as redis://user:password@host:6379 or rediss://… for TLS",
      ]);
    });
  });
});

describe("configuration errors never echo secrets inside URLs", () => {
  it("hides the user, the password and query values of a bad URL", () => {
    const problems = problemsOf({
      TWILIO_ASSISTANTS_URL: "ftp://user:hunter2@proxy.example.com/?token=abc123",
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_SIGNING_SECRET: "s",
      SLACK_API_URL: "not a url user:hunter2@x",
    });
    expect(problems).toEqual([
      'TWILIO_ASSISTANTS_URL must be an http(s) URL, got "ftp://***@proxy.example.com/?token=***"',
      'SLACK_API_URL must be an http(s) URL, got "***@x"',
    ]);
    expect(problems.join("\n")).not.toMatch(/hunter2|abc123/);
  });

  it("adds the password of a valid URL to the secrets the logger scrubs", () => {
    const config = load({ TWILIO_ASSISTANTS_URL: "https://bridge:pa55word@proxy.example.com" });
    expect(config.secrets).toContain("pa55word");
  });
});
