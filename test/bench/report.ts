/** Output of the bench and the drills: a table on stdout and a JSON file under bench-results/. */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const RESULTS_DIR = fileURLToPath(new URL("../../bench-results/", import.meta.url));

/** One line of the bench table. */
export interface FigureRow {
  figure: string;
  unit: "ms" | "answers/s" | "MiB" | "MB" | "windows" | "share" | "commands";
  /** The bridge's figure (in the store table: Redis mode's). */
  bridge: number;
  /** Null for figures only the bridge has. In the store table: memory mode's figure. */
  baseline: number | null;
  /** bridge / baseline. */
  ratio: number | null;
  target: string;
  /** Null for figures without a target (shown for context). */
  pass: boolean | null;
}

/** The machine the figures came from. */
export function machine(): Record<string, unknown> {
  const all = cpus();
  return {
    cpuModel: all[0]?.model ?? "unknown",
    cpuCount: all.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export function formatValue(value: number | null, unit: FigureRow["unit"]): string {
  if (value === null || Number.isNaN(value)) return "—";
  switch (unit) {
    case "ms":
      return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(2)} ms`;
    case "answers/s":
      return `${value.toFixed(0)}/s`;
    case "MiB":
    case "MB":
      return `${value.toFixed(1)} ${unit}`;
    case "windows":
      return value.toFixed(0);
    case "share":
      return value.toFixed(3);
    case "commands":
      return value.toFixed(1);
  }
}

/** A plain-text table, columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ");
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

/** The figures as a table; `columns` names the two compared (the store table: Redis, memory). */
export function figuresTable(
  rows: readonly FigureRow[],
  columns: readonly [string, string] = ["bridge", "baseline"],
): string {
  return formatTable(
    ["figure", ...columns, "ratio", "target", "result"],
    rows.map((row) => [
      row.figure,
      formatValue(row.bridge, row.unit),
      formatValue(row.baseline, row.unit),
      row.ratio === null ? "—" : `${row.ratio.toFixed(2)}×`,
      row.target,
      row.pass === null ? "info" : row.pass ? "pass" : "FAIL",
    ]),
  );
}

/** Writes `value` as JSON to bench-results/<name> (the folder is gitignored); returns the path. */
export function writeResults(name: string, value: unknown): string {
  const path = join(RESULTS_DIR, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}
