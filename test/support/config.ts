/**
 * The one configuration builder: the test defaults below, with a suite's
 * scenario and a test's own changes layered on top, written as YAML the way an
 * operator would write verifyd.yaml. In-process servers (server.ts) parse it;
 * child processes (process.ts) read it from a file.
 *
 * Layers merge key by key; a list (providers, a route) replaces the one below.
 */
import { stringify } from "yaml";
import { parseConfig } from "../../src/config/load-config.js";
import type { Config } from "../../src/config/schema.js";

/** Part of a configuration file, keyed as in verifyd.yaml (snake_case, durations such as "300ms"). */
export type ConfigLayer = { readonly [key: string]: unknown };

/**
 * What every test server starts from: a free port on the loopback, the memory
 * store, a fixed code key, no logs, rate limits and the fraud guard out of the
 * way (suites send many codes to one number range and verify few), timers
 * looked for often, and two simulators that accept and deliver. Policy is
 * verifyd's own default unless a scenario sets it; the fraud suites set
 * `fraud` themselves.
 */
export const TEST_DEFAULTS: ConfigLayer = {
  server: { port: 0, host: "127.0.0.1", shutdown_grace: "5s" },
  store: { type: "memory" },
  security: { code_hmac_key: "test-hmac-key-0123456789abcdef" },
  log: { level: "silent" },
  rate_limits: {
    per_phone: { limit: 1000, window: "10m" },
    per_ip: { limit: 1000, window: "10m" },
    check_per_ip: { limit: 1000, window: "10m" },
  },
  timers: { poll_interval: "20ms" },
  fraud: { mode: "off" },
  providers: [
    { name: "sim-a", type: "simulator", channels: ["sms"], simulate: { default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 30 } } },
    { name: "sim-b", type: "simulator", channels: ["sms"], simulate: { default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 30 } } },
  ],
  routing: { default: ["sim-a", "sim-b"] },
};

/** The test defaults with `layers` merged on, in order, as YAML text (e.g. for a `verifyd serve --config` process). */
export function testConfigYaml(...layers: readonly ConfigLayer[]): string {
  return stringify(layers.reduce<ConfigLayer>((merged, layer) => merge(merged, layer), TEST_DEFAULTS));
}

/** The configuration parsed as verifyd parses its file (no environment: `${NAME}` stays unset). */
export function testConfig(...layers: readonly ConfigLayer[]): Config {
  return parseConfig(testConfigYaml(...layers), {}, "test config");
}

function merge(base: ConfigLayer, layer: ConfigLayer): ConfigLayer {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    const below = merged[key];
    merged[key] = isMapping(below) && isMapping(value) ? merge(below, value) : value;
  }
  return merged;
}

function isMapping(value: unknown): value is ConfigLayer {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
