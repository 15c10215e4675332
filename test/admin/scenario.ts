/**
 * The admin suites' scenario, layered over the test defaults by
 * startTestServer({ config: ADMIN_SCENARIO }):
 *
 * | route           | providers (in table order)  | what the simulators do                          |
 * |-----------------|-----------------------------|-------------------------------------------------|
 * | default (US...) | sim-a, sim-b                | sim-a rejects +1202555011* (no_route), else delivers |
 * | DE              | sim-b, sim-a                | both deliver                                    |
 * | FR              | sim-flaky, sim-b            | sim-flaky refuses everything (unavailable)      |
 *
 * sim-flaky's breaker opens after 3 calls and stays open for a minute. sim-b
 * costs 0.05 a message, 0.02 to DE. FR routes by the static strategy, the
 * rest by score (the default).
 */
import type { ConfigLayer } from "../support/config.js";

export const ADMIN_TOKEN = "admin-test-token-0123456789abcdef";

export const ADMIN_SCENARIO: ConfigLayer = {
  providers: [
    {
      name: "sim-a",
      type: "simulator",
      channels: ["sms"],
      cost: 0.07,
      simulate: {
        default: { outcome: "deliver", dlr_delay_ms: 10 },
        rules: [{ match: "+1202555011*", outcome: "reject", error: "no_route" }],
      },
    },
    {
      name: "sim-b",
      type: "simulator",
      channels: ["sms", "voice"],
      cost: 0.05,
      cost_by_country: { DE: 0.02 },
      simulate: { default: { outcome: "deliver", dlr_delay_ms: 10 } },
    },
    {
      name: "sim-flaky",
      type: "simulator",
      channels: ["sms"],
      breaker: { volume_threshold: 3, reset_timeout: "1m" },
      simulate: { default: { outcome: "reject", error: "unavailable" } },
    },
  ],
  routing: {
    strategies: { FR: "static" },
    default: ["sim-a", "sim-b"],
    countries: {
      DE: ["sim-b", "sim-a"],
      FR: ["sim-flaky", "sim-b"],
    },
  },
};

/** The call options that present `token` as the admin bearer token. */
export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
