import { describe, expect, test } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load-config.js";
import { printConfig } from "../../src/config/print-config.js";

const PROVIDERS = `
providers:
  - { name: sim-a, type: simulator, channels: [sms] }
routing: { default: [sim-a] }
`;

function refusal(text: string): string {
  try {
    parseConfig(text, {}, "test.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be refused");
}

describe("console settings", () => {
  test("default to a console that is served and refreshes every 5 s, also in the embedded default", () => {
    expect(parseConfig(PROVIDERS, {}).console).toEqual({ enabled: true, refresh_interval: 5_000 });
    expect(loadConfig(undefined, {}).console).toEqual({ enabled: true, refresh_interval: 5_000 });
  });

  test("read enabled and refresh_interval, the other key keeping its default", () => {
    expect(parseConfig(`${PROVIDERS}console: { enabled: false }\n`, {}).console).toEqual({ enabled: false, refresh_interval: 5_000 });
    expect(parseConfig(`${PROVIDERS}console: { refresh_interval: 1m }\n`, {}).console).toEqual({ enabled: true, refresh_interval: 60_000 });
    expect(parseConfig(`${PROVIDERS}console: { refresh_interval: 1s }\n`, {}).console.refresh_interval).toBe(1_000);
  });

  test.each([
    ["refresh_interval: 500ms", "console.refresh_interval: expected a duration from 1s to 1m, got 500ms"],
    ["refresh_interval: 2m", "console.refresh_interval: expected a duration from 1s to 1m, got 2m"],
    ["refresh_interval: 5", 'console.refresh_interval: expected a duration with a unit such as "500ms", "30s" or "10m", got 5 without a unit'],
    ["enabled: sometimes", "console.enabled"],
    ["theme: dark", "console.theme: unknown key"],
  ])("refuse console: { %s }, naming the key", (entry, message) => {
    expect(refusal(`${PROVIDERS}console: { ${entry} }\n`)).toContain(message);
  });

  test("are printed by check-config with the interval's unit", () => {
    expect(printConfig(parseConfig(`${PROVIDERS}console: { refresh_interval: 10s }\n`, {}))).toContain("console:\n  enabled: true\n  refresh_interval: 10s\n");
  });
});
