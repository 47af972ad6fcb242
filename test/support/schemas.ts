import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { expect } from "vitest";

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface SpecOptions {
  /** Formats the spec uses that JSON Schema does not know: accepted as they are. */
  formats: readonly string[];
  /** Not strict: OpenAPI 3.1 adds keywords (discriminator, deprecated, example) validators skip. */
  strict?: boolean;
  /** Applied while reading the spec's JSON (to drop markers Ajv would misread). */
  reviver?: (key: string, value: unknown) => unknown;
}

/**
 * Asserts values against the schemas of a vendor's spec in test/schemas/ (its `definitions`):
 * `expectSchema(name, value)` shows Ajv's complaints when `value` does not match.
 */
export function specSchemas(file: string, options: SpecOptions): (name: string, value: unknown) => void {
  const spec = JSON.parse(
    readFileSync(new URL(`../schemas/${file}`, import.meta.url), "utf8"),
    options.reviver,
  ) as Record<string, unknown>;
  // "date-time" and "uri" come from ajv-formats.
  const ajv = addFormats(new Ajv({ allErrors: true, strict: options.strict ?? true }));
  for (const format of options.formats) ajv.addFormat(format, true);
  ajv.addSchema(spec, "spec");
  return (name, value) => {
    const validate = ajv.getSchema(`spec#/definitions/${name}`);
    if (!validate) throw new Error(`no schema ${name}`);
    const valid = validate(value);
    expect(valid ? [] : validate.errors).toEqual([]);
  };
}
