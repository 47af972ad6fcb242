import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { closestName, unknownVariableWarnings } from "../src/config-warnings.js";

const load = (env: Record<string, string>) => loadConfig(env, { envFile: null });

/** The warnings, also when the values are not valid (the error carries them). */
function warningsFor(env: Record<string, string>): string[] {
  try {
    return load(env).warnings;
  } catch (error) {
    if (error instanceof ConfigError) return error.warnings;
    throw error;
  }
}

describe("unknown-variable warnings", () => {
  it("warns about a misspelt variable and names the closest known one", () => {
    expect(load({ SLACK_BOT_TOKN: "xoxb-1" }).warnings).toEqual([
      "SLACK_BOT_TOKN is not a variable the bridge reads; did you mean SLACK_BOT_TOKEN?",
    ]);
    expect(load({ DISCORD_ALLOWED_GUILD: "1", ASSISTANT_TIMEOUT: "5" }).warnings).toEqual([
      "ASSISTANT_TIMEOUT is not a variable the bridge reads; did you mean ASSISTANT_TIMEOUT_MS?",
      "DISCORD_ALLOWED_GUILD is not a variable the bridge reads; did you mean DISCORD_ALLOWED_GUILDS?",
    ]);
  });

  it("never quotes the value, and says so when nothing known is close", () => {
    const [warning] = load({ TWILIO_REGION: "secret-value-123" }).warnings;
    expect(warning).toBe("TWILIO_REGION is not a variable the bridge reads; it is ignored");
  });

  it("ignores variables of other programs, known ones, and empty ones", () => {
    expect(load({ HOME: "/root", PATH: "/bin", NODE_ENV: "production", LOGNAME: "ana" }).warnings).toEqual(
      [],
    );
    expect(load({ SLACK_API_URL: "https://slack.com/api/", LOG_LEVEL: "info" }).warnings).toEqual([]);
    expect(load({ SLACK_BOT_TOKN: "  " }).warnings).toEqual([]);
  });

  it("lists the warnings under a configuration error too, where a misspelt name explains it", () => {
    let error: unknown;
    try {
      load({ SLACK_BOT_TOKN: "xoxb-1", SLACK_SIGNING_SECRET: "s" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      "Configuration is not valid:\n" +
        "  - SLACK_BOT_TOKEN is required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set\n" +
        "      (see docs/configuration.md#slack)\n" +
        "Also:\n" +
        "  - SLACK_BOT_TOKN is not a variable the bridge reads; did you mean SLACK_BOT_TOKEN?",
    );
  });

  it("catches lower-case spellings of known names", () => {
    expect(load({ log_level: "debug" }).warnings).toEqual([
      "log_level is not a variable the bridge reads; did you mean LOG_LEVEL?",
    ]);
  });

  it("knows every variable config.ts reads, even with nothing set (no read hides behind an if)", () => {
    const source = readFileSync(new URL("../src/config.ts", import.meta.url), "utf8");
    const read = [...new Set([...source.matchAll(/read\.\w+\("([A-Z][A-Z0-9_]+)"/g)].map((m) => m[1] ?? ""))];
    expect(read.length).toBeGreaterThan(25);
    // One at a time: a read that only happens when another variable is set would be warned about here.
    const warned = read.flatMap((name) => warningsFor({ [name]: "x" }));
    expect(warned).toEqual([]);
  });

  it("takes its families from the known names, so a new family is covered at once", () => {
    const known = new Set(["REDIS_URL", "FEEDBACK", "QUEUE_MAX_PENDING"]);
    expect(unknownVariableWarnings(["REDIS_ULR", "FEEDBACKS", "QUEUE_SIZE", "OTHER_X"], known)).toEqual([
      "FEEDBACKS is not a variable the bridge reads; did you mean FEEDBACK?",
      "QUEUE_SIZE is not a variable the bridge reads; it is ignored",
      "REDIS_ULR is not a variable the bridge reads; did you mean REDIS_URL?",
    ]);
  });

  it("catches a misspelt family, comparing the whole name", () => {
    expect(
      load({ SLAK_BOT_TOKEN: "xoxb-1", DISCROD_BOT_TOKEN: "d", TWILLIO_AUTH_TOKEN: "t" }).warnings,
    ).toEqual([
      "DISCROD_BOT_TOKEN is not a variable the bridge reads; did you mean DISCORD_BOT_TOKEN?",
      "SLAK_BOT_TOKEN is not a variable the bridge reads; did you mean SLACK_BOT_TOKEN?",
      "TWILLIO_AUTH_TOKEN is not a variable the bridge reads; did you mean TWILIO_AUTH_TOKEN?",
    ]);
    expect(load({ ASISTANT_MODE: "chat", PROT: "3000" }).warnings).toEqual([
      "ASISTANT_MODE is not a variable the bridge reads; did you mean ASSISTANT_MODE?",
      "PROT is not a variable the bridge reads; did you mean PORT?",
    ]);
  });

  it("flags names that hold one of the bridge's words anywhere, with no guess when none is close", () => {
    expect(load({ MY_SLACK_TOKEN: "x", OPENAI_KEY_X: "x", QUOTA_X: "1" }).warnings).toEqual([
      "MY_SLACK_TOKEN is not a variable the bridge reads; it is ignored",
      "OPENAI_KEY_X is not a variable the bridge reads; it is ignored",
      "QUOTA_X is not a variable the bridge reads; it is ignored",
    ]);
  });

  it("leaves the variables a shell, npm and CI set alone", () => {
    const others = ["HOME", "SHELL", "DISPLAY", "LANG", "LC_ALL", "TERM", "COLUMNS", "HOSTNAME", "USER"];
    const npm = ["npm_config_user_agent", "npm_lifecycle_event", "npm_package_name", "npm_execpath"];
    const ci = ["CI", "GITHUB_TOKEN", "RUNNER_OS", "NODE_OPTIONS", "XDG_RUNTIME_DIR", "TMPDIR", "EDITOR"];
    expect(load(Object.fromEntries([...others, ...npm, ...ci].map((name) => [name, "x"]))).warnings).toEqual(
      [],
    );
  });

  it("suggests a known name only when it is near enough to be the one meant", () => {
    expect(closestName("QUEUE_MAX", ["QUEUE_MAX_PENDING", "PORT"])).toBeNull();
    expect(closestName("slack_bot_tokn", ["SLACK_BOT_TOKEN", "PORT"])).toBe("SLACK_BOT_TOKEN");
  });
});
