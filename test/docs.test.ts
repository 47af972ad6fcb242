import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const configDir = new URL("../src/config/", import.meta.url);
const source = [
  readFileSync(new URL("../src/config.ts", import.meta.url), "utf8"),
  ...readdirSync(configDir).map((file) => readFileSync(new URL(file, configDir), "utf8")),
].join("\n");
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

  it("opens with the two commands a newcomer needs: run the bridge, run the tests", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    const commands = firstBlock.split("\n").map((line) => line.replace(/\s+#.*$/, "").trim());
    expect(commands.slice(0, 2)).toEqual(["npm ci && npm start", "npm test"]);
  });

  it("documents every exit code the entry point uses", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const main = readFileSync(new URL("../src/main.ts", import.meta.url), "utf8");
    const table = /const EXIT = \{([^}]+)\}/.exec(main)?.[1] ?? "";
    const codes = [...table.matchAll(/:\s*(\d+)/g)].map((m) => m[1]);
    expect(codes).toEqual(["0", "1", "2", "130"]);
    for (const code of codes) expect(readme).toMatch(new RegExp(`^\\| ${code} \\| `, "m"));
  });

  it("lists every demo trigger the simulator knows", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const cli = readFileSync(new URL("../src/simulator/cli.ts", import.meta.url), "utf8");
    const triggers = /Demo triggers in a message: ([^"]+)"/.exec(cli)?.[1]?.split(" ") ?? [];
    expect(triggers.length).toBeGreaterThan(6);
    const missing = triggers.filter((t) => !readme.includes(`| \`${t.replace(/=(N|MS)$/, "=")}`));
    expect(missing).toEqual([]);
  });

  it("keeps the benchmark detail in docs/PERFORMANCE.md, with a summary and a link in README", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const performance = readFileSync(new URL("../docs/PERFORMANCE.md", import.meta.url), "utf8");
    expect(performance).toContain("| figure | bridge vs baseline | target | result |");
    expect(performance).toContain("## Fault drills");
    expect(readme).not.toContain("bridge vs baseline");
    expect(readme).toContain("[docs/PERFORMANCE.md](docs/PERFORMANCE.md)");
  });

  it("starts the same way from the Procfile and from npm start", () => {
    const procfile = readFileSync(new URL("../Procfile", import.meta.url), "utf8");
    const scripts = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).scripts;
    const web = /^web: (.+)$/m.exec(procfile)?.[1];
    expect(web).toMatch(/^node .*dist\/src\/main\.js$/);
    expect(scripts.start).toBe(web);
  });
});
