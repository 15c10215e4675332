import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load-config.js";
import { formatDuration, parseDuration } from "../../src/schema/duration.js";

/** A small valid file; each bad-file test breaks exactly one thing in it. */
const VALID = `
policy: { code_ttl: 5m, delivery_window: 2s }
providers:
  - name: sim-a
    type: simulator
    channels: [sms]
    simulate:
      rules:
        - { match: "+1202555011*", outcome: reject, error: no_route }
  - name: sim-voice
    type: simulator
    channels: [voice]
routing: { default: [sim-a, sim-voice] }
`;

function configError(text: string, env: Record<string, string | undefined> = {}): ConfigError {
  try {
    parseConfig(text, env, "test.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected the configuration to be refused");
}

describe("loadConfig", () => {
  test("loads the embedded default when no file is given", () => {
    const config = loadConfig(undefined, {});

    expect(config.server.port).toBe(8080);
    // The simulators' outbox shows codes: the demo is reachable from this machine only.
    expect(config.server.host).toBe("127.0.0.1");
    expect(config.store.type).toBe("memory");
    expect(config.policy).toMatchObject({ code_length: 6, code_ttl: 600_000, delivery_window: 30_000, resend_min_interval: 30_000, auto_escalate: false });
    expect(config.rate_limits.per_phone).toEqual({ limit: 5, window: 600_000 });
    expect(config.providers.map((p) => [p.name, p.channels])).toEqual([
      ["sim-a", ["sms"]],
      ["sim-b", ["sms"]],
      ["sim-voice", ["voice"]],
    ]);
    expect(config.routing.default).toEqual(["sim-a", "sim-b", "sim-voice"]);
    expect(config.routing.countries.DE).toEqual(["sim-b", "sim-a", "sim-voice"]);
  });

  describe("from a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "verifyd-config-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("reads the file and parses its durations to milliseconds", () => {
      const path = join(dir, "good.yaml");
      writeFileSync(path, VALID);

      const config = loadConfig(path, {});

      expect(config.policy.code_ttl).toBe(300_000);
      expect(config.policy.delivery_window).toBe(2_000);
      expect(config.policy.code_length).toBe(6);
    });

    test("a file that cannot be read is a ConfigError naming the path", () => {
      const path = join(dir, "missing.yaml");

      expect(() => loadConfig(path, {})).toThrow(ConfigError);
      expect(() => loadConfig(path, {})).toThrow(path);
    });
  });
});

describe("parseConfig refuses a bad file with a message that names the key", () => {
  test("an unknown key", () => {
    const error = configError(VALID.replace("policy: {", "policy: { colour: blue,"));

    expect(error.message).toContain("policy.colour: unknown key");
    expect(error.message).toContain("test.yaml");
  });

  test("an unknown top-level key", () => {
    expect(configError(`${VALID}\nextras: true\n`).message).toContain("extras: unknown key");
  });

  test("a bad duration", () => {
    const error = configError(VALID.replace("delivery_window: 2s", "delivery_window: 2 fortnights"));

    expect(error.message).toMatch(/policy\.delivery_window: expected a duration/);
  });

  // `delivery_window: 30` used to be read as 30 ms: two SMS in the same second.
  test.each([
    ["policy: { code_ttl: 5m, delivery_window: 30 }", "policy.delivery_window", 30],
    ["policy: { code_ttl: 300, delivery_window: 2s }", "policy.code_ttl", 300],
  ])("a duration without a unit (%s)", (line, key, value) => {
    const error = configError(VALID.replace("policy: { code_ttl: 5m, delivery_window: 2s }", line));

    expect(error.message).toContain(`${key}: expected a duration with a unit such as "500ms", "30s" or "10m", got ${value} without a unit`);
    expect(error.message).toContain(`write "${value}s", or "${value}ms" if milliseconds are meant`);
  });

  test("a duration without a unit deep inside a provider", () => {
    const error = configError(VALID.replace("channels: [voice]", "channels: [voice]\n    timeout: 10"));

    expect(error.message).toContain("providers[1].timeout: expected a duration with a unit");
  });

  test("the server binds the loopback unless told otherwise", () => {
    expect(parseConfig(VALID, {}).server.host).toBe("127.0.0.1");
    expect(parseConfig(`${VALID}\nserver: { host: 0.0.0.0 }\n`, {}).server.host).toBe("0.0.0.0");
  });

  test("a reject rule without an error kind", () => {
    const error = configError(VALID.replace("outcome: reject, error: no_route", "outcome: reject"));

    expect(error.message).toContain("providers[0].simulate.rules[0].error");
    expect(error.message).toContain("a reject rule needs an error kind");
  });

  test("an unknown provider in routing", () => {
    const error = configError(VALID.replace("default: [sim-a, sim-voice]", "default: [sim-a, sim-z]"));

    expect(error.message).toContain('routing.default[1]: unknown provider "sim-z"');
  });

  test("an unknown provider in a country's route", () => {
    const error = configError(VALID.replace("default: [sim-a, sim-voice] }", "default: [sim-a], countries: { DE: [sim-q] } }"));

    expect(error.message).toContain('routing.countries.DE[0]: unknown provider "sim-q"');
  });

  test("a duplicate provider name", () => {
    const error = configError(VALID.replace("name: sim-voice", "name: sim-a"));

    expect(error.message).toContain('providers[1].name: duplicate provider name "sim-a"');
  });

  test("a missing environment variable for ${VAR}", () => {
    const error = configError(`${VALID}\nsecurity: { code_hmac_key: "\${VERIFYD_TEST_KEY}" }\n`, {});

    expect(error.message).toContain("security.code_hmac_key");
    expect(error.message).toContain("VERIFYD_TEST_KEY");
  });

  // Instances sharing a database with per-process random keys could never check each other's codes.
  test("a shared store without code_hmac_key", () => {
    const error = configError(`${VALID}\nstore: { type: mongodb, uri: "mongodb://127.0.0.1:27017", database: verifyd }\n`);

    expect(error.message).toContain("security.code_hmac_key: required with store.type mongodb");
  });

  test("malformed YAML", () => {
    expect(configError("policy: [unclosed\n").message).toMatch(/invalid YAML/);
  });
});

describe("parseConfig with ${VAR}", () => {
  test("substitutes the variable's value, also inside a longer string", () => {
    const config = parseConfig(`${VALID}\nsecurity: { code_hmac_key: "prefix-\${VERIFYD_TEST_KEY}-suffix" }\n`, {
      VERIFYD_TEST_KEY: "0123456789abcdef",
    });

    expect(config.security.code_hmac_key).toBe("prefix-0123456789abcdef-suffix");
  });
});

describe("parseDuration", () => {
  test.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["10m", 600_000],
    ["1h", 3_600_000],
    ["1.5s", 1_500],
  ] as const)("reads %j as %i ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each(["", "10", "ten seconds", "5 minutes", "-1s", "1w", 250, 0, undefined])("refuses %j", (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe("formatDuration", () => {
  test.each([
    [500, "500ms"],
    [1_500, "1500ms"],
    [30_000, "30s"],
    [600_000, "10m"],
    [3_600_000, "1h"],
    [86_400_000, "1d"],
    [0, "0ms"],
  ])("writes %i ms as %j, which parseDuration reads back", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
