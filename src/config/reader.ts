import { redactUrl } from "../redact-url.js";
import { configSection } from "./sections.js";

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Typed reads that collect problems instead of throwing, so one message can name them all. It records
 * every name it is asked for: that is the list of known variables the unknown-variable warnings use,
 * so read each variable whatever the others hold (a read behind an `if` would be warned about).
 */
export class Reader {
  readonly problems: string[] = [];
  /** For each problem: where its value came from and where it is documented (may be empty). */
  readonly notes: string[] = [];
  readonly secrets: string[] = [];
  constructor(
    private readonly env: Env,
    readonly names = new Set<string>(),
    /** The names whose value came from the .env file (not overridden by the environment). */
    private readonly fromFile: ReadonlySet<string> = new Set(),
  ) {}

  /**
   * Records a problem. A message starts with the variable it is about: its note says where that value
   * was set (.env or the environment, when set) and which section of docs/configuration.md documents it.
   */
  problem(message: string): void {
    const name = /^[A-Z][A-Z0-9_]*/.exec(message)?.[0];
    const where: string[] = [];
    if (name && this.env[name]?.trim()) {
      where.push(`set in ${this.fromFile.has(name) ? ".env" : "the environment"}`);
    }
    const section = name ? configSection(name) : null;
    if (section) where.push(`see docs/configuration.md#${section}`);
    this.problems.push(message);
    this.notes.push(where.join("; "));
  }

  optional(name: string): string | null {
    this.names.add(name);
    const value = this.env[name]?.trim();
    return value ? value : null;
  }

  secret(name: string): string | null {
    const value = this.optional(name);
    if (value) this.secrets.push(value);
    return value;
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.optional(name);
    if (raw === null) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problem(
        `${name} must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, got "${raw}"`,
      );
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    this.problem(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problem(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
    return fallback;
  }

  /** An http(s) URL; without a trailing slash unless `trailingSlash` (Slack's client wants one). */
  url(name: string, fallback: string, trailingSlash = false): string {
    const raw = this.optional(name) ?? fallback;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      this.problem(`${name} must be an http(s) URL, got "${redactUrl(raw)}"`);
      return fallback;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      this.problem(`${name} must be an http(s) URL, got "${redactUrl(raw)}"`);
      return fallback;
    }
    // A password in the URL is a secret like any other: scrubbed from every log line.
    if (parsed.password) this.secrets.push(parsed.password);
    const bare = raw.replace(/\/+$/, "");
    return trailingSlash ? `${bare}/` : bare;
  }

  /** Comma- or space-separated ids; null when unset (no restriction). */
  list(name: string): ReadonlySet<string> | null {
    const raw = this.optional(name);
    if (raw === null) return null;
    return new Set(raw.split(/[\s,]+/).filter(Boolean));
  }
}
