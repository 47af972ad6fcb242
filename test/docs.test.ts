import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configSection } from "../src/config/sections.js";
import { configVariables } from "../src/config.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const README = read("README.md");
const PAGES = ["README.md", ...readdirSync(join(ROOT, "docs")).map((name) => `docs/${name}`)];
const variables = configVariables();

/** The anchor GitHub gives a heading: lower case, punctuation dropped, each space a hyphen. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(path: string): Set<string> {
  const text = read(path).replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchor(match[1] ?? "")));
}

/** Every link of `page` to a file of this repository (not to the web), as `path#anchor`. */
function localLinks(page: string): Array<{ target: string; hash: string }> {
  const text = read(page).replace(/```[\s\S]*?```/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] ?? "")
    .filter((href) => !/^[a-z]+:/.test(href))
    .map((href) => {
      const [path = "", hash = ""] = href.split("#");
      const target = path === "" ? page : relative(ROOT, join(ROOT, dirname(page), path));
      return { target, hash };
    });
}

describe("documentation", () => {
  it("keeps README.md a landing page: under 2,500 words", () => {
    expect(README.split(/\s+/).filter(Boolean).length).toBeLessThan(2500);
  });

  it("opens with the two commands a newcomer needs: run the bridge, run the tests", () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(README)?.[1] ?? "";
    const commands = firstBlock.split("\n").map((line) => line.replace(/\s+#.*$/, "").trim());
    expect(commands.slice(0, 2)).toEqual(["npm ci && npm start", "npm test"]);
  });

  it("links from README.md into every page of docs/", () => {
    const linked = new Set(localLinks("README.md").map((link) => link.target));
    expect(PAGES.filter((page) => page !== "README.md" && !linked.has(page))).toEqual([]);
  });

  it("has every link between README.md and docs/ lead to a file that exists, and a heading there", () => {
    const broken = PAGES.flatMap((page) =>
      localLinks(page)
        .filter(({ target, hash }) => {
          if (!existsSync(join(ROOT, target))) return true;
          return hash !== "" && target.endsWith(".md") && !anchorsOf(target).has(hash);
        })
        .map(({ target, hash }) => `${page} → ${target}${hash ? `#${hash}` : ""}`),
    );
    expect(broken).toEqual([]);
  });

  it("documents in docs/configuration.md every variable the configuration reader reads, and no other", () => {
    expect(variables).toEqual(expect.arrayContaining(["TWILIO_ACCOUNT_SID", "PORT", "SLACK_BOT_TOKEN"]));
    const reference = read("docs/configuration.md");
    // A variable is documented by a table row of its own: | `NAME` | default | allowed | what it does |
    const rows = [...reference.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)];
    const documented = rows.map((match) => match[1] ?? "");
    expect(documented.filter((name, i) => documented.indexOf(name) !== i)).toEqual([]);
    expect(variables.filter((name) => !documented.includes(name))).toEqual([]);
    expect(documented.filter((name) => !variables.includes(name))).toEqual([]);
  });

  it("documents each variable in the section its configuration errors link to", () => {
    const reference = read("docs/configuration.md");
    const misplaced = variables.filter((name) => {
      const section = configSection(name);
      if (section === null) return true;
      const heading = [...reference.matchAll(/^## (.+)$/gm)].find(
        (match) => anchor(match[1] ?? "") === section,
      );
      if (heading?.index === undefined) return true;
      const body = reference.slice(heading.index).split(/^## /m)[1] ?? "";
      return !body.includes(`| \`${name}\` |`);
    });
    expect(misplaced).toEqual([]);
  });

  it("has every variable in .env.example", () => {
    const example = read(".env.example");
    expect(variables.filter((name) => !new RegExp(`^(# )?${name}=`, "m").test(example))).toEqual([]);
  });

  it("documents every exit code the entry point uses", () => {
    const production = read("docs/production.md");
    const table = /const EXIT = \{([^}]+)\}/.exec(read("src/main.ts"))?.[1] ?? "";
    const codes = [...table.matchAll(/:\s*(\d+)/g)].map((m) => m[1]);
    expect(codes).toEqual(["0", "1", "2", "130"]);
    for (const code of codes) expect(production).toMatch(new RegExp(`^\\| ${code} \\| `, "m"));
  });

  it("lists every demo trigger the simulator knows", () => {
    const backends = read("docs/backends.md");
    const triggers =
      /Demo triggers in a message: ([^"]+)"/.exec(read("src/simulator/cli.ts"))?.[1]?.split(" ") ?? [];
    expect(triggers.length).toBeGreaterThan(6);
    const missing = triggers.filter((t) => !backends.includes(`| \`${t.replace(/=(N|MS)$/, "=")}`));
    expect(missing).toEqual([]);
  });

  it("keeps the benchmark detail in docs/performance.md, with a summary in docs/production.md", () => {
    const performance = read("docs/performance.md");
    expect(performance).toContain("| figure | bridge vs baseline | target | result |");
    expect(performance).toContain("## Fault drills");
    expect(README).not.toContain("bridge vs baseline");
    expect(read("docs/production.md")).toContain("[performance.md](performance.md)");
    expect(README).toContain("[docs/performance.md](docs/performance.md)");
  });

  it("starts the same way from the Procfile and from npm start", () => {
    const procfile = read("Procfile");
    const scripts = JSON.parse(read("package.json")).scripts;
    const web = /^web: (.+)$/m.exec(procfile)?.[1];
    expect(web).toMatch(/^node .*dist\/src\/main\.js$/);
    expect(scripts.start).toBe(web);
  });
});
