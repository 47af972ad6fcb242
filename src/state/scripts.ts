import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RedisClient } from "./redis-connection.js";

/** The Lua scripts in ./lua, one per atomic step; each documents its KEYS and ARGV at the top. */
const SCRIPT_NAMES = [
  "accept",
  "claim",
  "renew-lease",
  "record-answer",
  "complete",
  "release",
  "recover-expired",
  "acquire-start",
  "pause-starts",
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

interface LuaScript {
  source: string;
  sha: string;
}

/**
 * Read once, next to this module: src/state/lua under tsx, dist/src/state/lua once built (the build
 * copies the directory there).
 */
const SCRIPTS = new Map<ScriptName, LuaScript>(
  SCRIPT_NAMES.map((name) => {
    const source = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), "utf8");
    return [name, { source, sha: createHash("sha1").update(source).digest("hex") }];
  }),
);

function script(name: ScriptName): LuaScript {
  const found = SCRIPTS.get(name);
  if (found === undefined) throw new Error(`no Lua script named ${name}`); // never: the map holds every name
  return found;
}

/** Loads every script into Redis's script cache, so calls go by SHA from the first one. */
export async function loadScripts(client: RedisClient): Promise<void> {
  await Promise.all(SCRIPT_NAMES.map((name) => client.scriptLoad(script(name).source)));
}

/**
 * Runs a script by name through EVALSHA; when Redis has lost its script cache (a restart, a
 * failover, SCRIPT FLUSH), once through EVAL, which caches it again.
 */
export async function runScript(
  client: RedisClient,
  name: ScriptName,
  keys: string[],
  args: Array<string | number>,
): Promise<unknown> {
  const { sha, source } = script(name);
  const options = { keys, arguments: args.map(String) };
  try {
    return await client.evalSha(sha, options);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    return client.eval(source, options);
  }
}
