import { readFileSync } from "node:fs";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { DEFAULT_CONFIG_YAML } from "./default-config.js";
import { type Config, configSchema } from "./schema.js";

/** A configuration that cannot be used; the message names the key. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Record<string, string | undefined>;

/** Reads a YAML file, or the embedded default when `path` is undefined. */
export function loadConfig(path: string | undefined, env: Env = process.env): Config {
  let text: string;
  if (path === undefined) {
    text = DEFAULT_CONFIG_YAML;
  } else {
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
    }
  }
  return parseConfig(text, env, path ?? "default config");
}

export function parseConfig(text: string, env: Env = process.env, source = "config"): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : "";
    throw new ConfigError(`${source}: invalid YAML${where}: ${(error as Error).message}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`${source}: expected a mapping of settings at the top level`);
  }
  const interpolated = interpolateEnv(raw, env, []);
  const result = configSchema.safeParse(interpolated);
  if (!result.success) throw new ConfigError(`${source}: ${formatIssues(result.error)}`);
  return result.data;
}

/** Replaces `${NAME}` in every string value; a missing variable is an error naming the key. */
function interpolateEnv(value: unknown, env: Env, path: (string | number)[]): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined) {
        throw new ConfigError(`${formatPath(path)}: environment variable ${name} is not set`);
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, [...path, index]));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, [...path, key])]));
  }
  return value;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out === "" ? String(part) : `.${String(part)}`;
  return out || "(top level)";
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`).join("; ");
      }
      return `${formatPath(issue.path)}: ${issue.message}`;
    })
    .join("; ");
}
