import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const source = readFileSync(new URL("../src/config.ts", import.meta.url), "utf8");
const variables = [
  ...new Set([...source.matchAll(/read\.\w+\("([A-Z][A-Z0-9_]+)"/g)].map((m) => m[1] ?? "")),
];

describe("documentation", () => {
  it("finds the variables loadConfig reads", () => {
    expect(variables).toEqual(
      expect.arrayContaining(["TWILIO_ACCOUNT_SID", "PORT", "SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN"]),
    );
    expect(variables.length).toBeGreaterThan(25);
  });

  it("has every variable in .env.example", () => {
    const example = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
    expect(variables.filter((name) => !new RegExp(`^(# )?${name}=`, "m").test(example))).toEqual([]);
  });

  it("has every variable in README.md", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(variables.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it("starts the same way from the Procfile and from npm start", () => {
    const procfile = readFileSync(new URL("../Procfile", import.meta.url), "utf8");
    const scripts = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).scripts;
    const web = /^web: (.+)$/m.exec(procfile)?.[1];
    expect(web).toMatch(/^node .*dist\/src\/main\.js$/);
    expect(scripts.start).toBe(web);
  });
});
