import { stringify } from "yaml";
import type { z } from "zod";
import { formatDuration } from "../schema/duration.js";
import { isDurationSchema } from "../schema/zod-types.js";
import { type Config, configSchema } from "./schema.js";

/** Keys whose values are credentials: printed as "********". */
const SECRET_KEY = /(secret|token|password|passwd|private_key|api_key|hmac_key|credentials?)$|^(key|code)$/i;
const MASK = "********";

/**
 * The configuration as verifyd runs with it (`verifyd check-config`): every
 * default filled in, `${NAME}` references replaced, durations written back
 * with their unit, and secrets masked (credentials by key, the password in a
 * URL, PEM private keys), as YAML that loads again to the same settings
 * wherever nothing was masked.
 *
 * @example
 * console.log(printConfig(loadConfig("verifyd.yaml")));
 */
export function printConfig(config: Config): string {
  return stringify(displayed(configSchema, config, undefined), { lineWidth: 0 });
}

/** `value` (the schema's output) made printable: walks the schema alongside it to find the durations. */
function displayed(schema: z.ZodType | undefined, value: unknown, key: string | undefined): unknown {
  if (value === undefined || value === null) return value;
  if (key !== undefined && SECRET_KEY.test(key) && (typeof value === "string" || typeof value === "number")) return MASK;
  const inner = schema && unwrapped(schema);
  if (typeof value === "number") return inner && isDurationSchema(inner) ? formatDuration(value) : value;
  if (typeof value === "string") return maskedText(value);
  if (Array.isArray(value)) {
    const element = inner && defOf(inner).type === "array" ? (defOf(inner).element as z.ZodType) : undefined;
    return value.map((item) => displayed(element, item, undefined));
  }
  if (typeof value !== "object") return value;
  if (isCidr(value)) return `${value.network}/${value.prefixLength}`;
  const entries = Object.entries(value as Record<string, unknown>);
  return Object.fromEntries(entries.map(([name, item]) => [name, displayed(inner && memberSchema(inner, value as Record<string, unknown>, name), item, name)]));
}

interface Def {
  type?: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Past defaults, optionals and the like, to the schema that says what the value is. */
function unwrapped(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (
    let def = defOf(current);
    def.innerType && ["default", "prefault", "optional", "nullable", "nonoptional", "readonly", "catch"].includes(def.type ?? "");
    def = defOf(current)
  ) {
    current = def.innerType;
  }
  return current;
}

/** The schema of one member of an object, a record, or the option of a union the object matches. */
function memberSchema(schema: z.ZodType, value: Record<string, unknown>, name: string): z.ZodType | undefined {
  const def = defOf(schema);
  if (def.type === "object") return def.shape?.[name];
  if (def.type === "record") return def.valueType;
  if (def.type === "union") {
    const option = def.options?.find((candidate) => matches(unwrapped(candidate), value));
    return option && memberSchema(unwrapped(option), value, name);
  }
  return undefined;
}

/** Whether an object schema's literal keys (a discriminated union's `type`) take the values `value` has. */
function matches(schema: z.ZodType, value: Record<string, unknown>): boolean {
  const literals = (schema as unknown as { _zod: { propValues?: Record<string, Set<unknown>> } })._zod.propValues;
  if (!literals || Object.keys(literals).length === 0) return defOf(schema).type === "object";
  return Object.entries(literals).every(([name, allowed]) => allowed.has(value[name]));
}

function isCidr(value: object): value is { network: string; prefixLength: number } {
  return "network" in value && "prefixLength" in value && "kind" in value;
}

/** A URL's password and a PEM file's contents are not printed. */
function maskedText(text: string): string {
  if (text.startsWith("-----BEGIN ")) {
    const label = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(text)?.[1] ?? "PEM";
    return label.includes("PRIVATE KEY") ? MASK : `<${label}, ${text.length} characters of PEM>`;
  }
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:\s]*:)[^/?#@\s]+@/i, `$1${MASK}@`);
}
