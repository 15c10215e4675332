import { describe, expect, test } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/load-config.js";

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

describe("client address settings", () => {
  test("default to a /64 per IPv6 client, the peer as fallback and no trusted proxies", () => {
    const config = parseConfig(PROVIDERS, {});

    expect(config.rate_limits.ipv6_prefix_length).toBe(64);
    expect(config.rate_limits.require_client_ip).toBe(false);
    expect(config.rate_limits.per_ip).toEqual({ limit: 50, window: 600_000 });
    expect(config.server.trusted_proxies).toEqual([]);
  });

  test("defaults fill in beside the keys a file does set", () => {
    const config = parseConfig(`${PROVIDERS}\nrate_limits: { require_client_ip: true }\nserver: { port: 9090 }\n`, {});

    expect(config.rate_limits).toMatchObject({ require_client_ip: true, ipv6_prefix_length: 64, per_phone: { limit: 5, window: 600_000 } });
    expect(config.server.trusted_proxies).toEqual([]);
  });

  test("reads trusted_proxies as CIDRs or single addresses", () => {
    const config = parseConfig(`${PROVIDERS}\nserver: { trusted_proxies: ["10.0.0.0/8", "2001:DB8::/32", "192.0.2.7"] }\n`, {});

    expect(config.server.trusted_proxies).toEqual([
      { kind: "ipv4", network: "10.0.0.0", prefixLength: 8 },
      { kind: "ipv6", network: "2001:db8::", prefixLength: 32 },
      { kind: "ipv4", network: "192.0.2.7", prefixLength: 32 },
    ]);
  });

  test("refuses a bad trusted_proxies entry, naming the key", () => {
    expect(refusal(`${PROVIDERS}\nserver: { trusted_proxies: ["10.0.0.0/8", "10.0.0.0/33"] }\n`)).toContain(
      'server.trusted_proxies[1]: expected a CIDR such as "10.0.0.0/8" or "2001:db8::/32", or one address, got "10.0.0.0/33"',
    );
  });

  test.each([[0], [129], [64.5]])("refuses ipv6_prefix_length %j", (length) => {
    expect(refusal(`${PROVIDERS}\nrate_limits: { ipv6_prefix_length: ${length} }\n`)).toContain("rate_limits.ipv6_prefix_length:");
  });
});
