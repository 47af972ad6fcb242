import { type Config, ConfigError, loadConfig } from "../../src/config.js";

/** The configuration of `env` alone (no .env file is read). */
export const loadEnv = (env: Record<string, string>): Config => loadConfig(env, { envFile: null });

/** The problems a configuration error lists for `env`; fails the test when `env` is valid. */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}
