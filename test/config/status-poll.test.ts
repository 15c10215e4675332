import { describe, expect, test } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/load-config.js";
import { providerSettings } from "../../src/providers/settings.js";
import { SimulatorProvider } from "../../src/providers/simulator/simulator.js";

const WHATSAPP = `{ name: wa, type: whatsapp-cloud, phone_number_id: "1", access_token: t, app_secret: s, verify_token: v, template: { name: otp } }`;

/** A config whose providers are the given YAML flow mappings, all routed by default. */
function withProviders(...providers: string[]): string {
  const names = providers.map((provider) => /name: ([a-z0-9_-]+)/.exec(provider)![1]);
  return `providers:\n${providers.map((provider) => `  - ${provider}`).join("\n")}\nrouting: { default: [${names.join(", ")}] }\n`;
}

function refusal(text: string): string {
  try {
    parseConfig(text, {}, "test.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be refused");
}

describe("status_poll", () => {
  test("is on by default for a type that can be asked for a message's status", () => {
    const config = parseConfig(
      withProviders("{ name: sim, type: simulator, channels: [sms] }", "{ name: tw, type: twilio, account_sid: AC1, auth_token: t, from: '+15005550006' }"),
      {},
    );

    expect(config.providers.map((provider) => provider.status_poll)).toEqual([true, true]);
  });

  test("can be turned off per provider", () => {
    const config = parseConfig(withProviders("{ name: sim, type: simulator, channels: [sms], status_poll: false }"), {});

    expect(config.providers[0]!.status_poll).toBe(false);
  });

  test("is off for whatsapp-cloud, whose API has no status lookup, and may be written as false", () => {
    expect(parseConfig(withProviders(WHATSAPP), {}).providers[0]!.status_poll).toBe(false);
    expect(parseConfig(withProviders(WHATSAPP.replace("{ name: wa,", "{ name: wa, status_poll: false,")), {}).providers[0]!.status_poll).toBe(false);
  });

  test("true is refused for whatsapp-cloud, naming the key", () => {
    const message = refusal(withProviders(WHATSAPP.replace("{ name: wa,", "{ name: wa, status_poll: true,")));

    expect(message).toContain("providers[0].status_poll");
    expect(message).toContain("whatsapp-cloud cannot be asked for a message's status");
  });

  test("must be a boolean", () => {
    expect(refusal(withProviders("{ name: sim, type: simulator, channels: [sms], status_poll: sometimes }"))).toContain("providers[0].status_poll");
  });

  test("the embedded default polls every simulator, and sim-a has a demo number for each silent outcome", () => {
    const config = loadConfig(undefined, {});
    const simA = config.providers.find((provider) => provider.name === "sim-a");
    if (simA?.type !== "simulator") throw new Error("expected sim-a to be a simulator");
    const sim = new SimulatorProvider(simA, { receipts: { report: async () => {} }, now: () => 0 });

    expect(config.providers.every((provider) => provider.status_poll)).toBe(true);
    expect(sim.ruleFor("+12025550150").outcome).toBe("silent_deliver");
    expect(sim.ruleFor("+12025550161").outcome).toBe("silent_undelivered");
  });
});

describe("providerSettings", () => {
  test("reads timeout, breaker, status_poll and prices in the units the gateway and router use", () => {
    const config = parseConfig(
      withProviders(
        "{ name: sim, type: simulator, channels: [sms], timeout: 2s, cost: 0.01, cost_by_country: { DE: 0.05 }, status_poll: false, breaker: { volume_threshold: 9, reset_timeout: 1m } }",
      ),
      {},
    );

    expect(providerSettings(config.providers[0]!)).toEqual({
      timeoutMs: 2_000,
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 9, resetTimeoutMs: 60_000, rollingWindowMs: 60_000 },
      statusPoll: false,
      cost: 0.01,
      costByCountry: { DE: 0.05 },
    });
  });
});
