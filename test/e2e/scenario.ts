/**
 * The end-to-end suites' scenario, layered over the test defaults by
 * startTestServer({ config: E2E_SCENARIO }). The simulators' rules key on
 * these number prefixes:
 *
 * | prefix          | what happens                                                       |
 * |-----------------|--------------------------------------------------------------------|
 * | +1202555010x    | sim-a accepts and reports DELIVERED after 30 ms                    |
 * | +1202555011x    | sim-a rejects (no_route): fast failover to sim-b                   |
 * | +1202555012x    | sim-a drops it: slow failover to sim-b after delivery_window       |
 * | +1202555013x    | sim-a accepts, then reports UNDELIVERED: failover at once          |
 * | +1202555014x    | sim-a (after 150 ms) and sim-b reject: voice is offered            |
 * | +1202555015x    | sim-a never answers: its 300 ms timeout counts as a rejection      |
 * | +1202555016x    | sim-a takes 300 ms to accept (in-flight calls during shutdown)     |
 * | +1202555017x    | sim-a and sim-b both drop: slow failover runs out of SMS           |
 * | +336123456xx    | FR routes only sim-a and sim-b, both reject: nothing is routable   |
 * | any other       | sim-a accepts (DELIVERED after 30 ms); DE routes sim-b first       |
 *
 * sim-b accepts everything else and reports DELIVERED after 100 ms; sim-voice
 * (voice only) accepts and reports DELIVERED after 50 ms. Each test uses its
 * own numbers, because a number can have only one active verification.
 */
import type { ConfigLayer } from "../support/config.js";

export const E2E_POLICY = {
  code_length: 6,
  code_ttl: "5s",
  delivery_window: "300ms",
  max_check_attempts: 3,
  resend_min_interval: "200ms",
  auto_escalate: false,
};

/** The policy's timing in milliseconds, for tests that move a FakeClock by it. */
export const DELIVERY_WINDOW_MS = 300;
export const RESEND_MIN_INTERVAL_MS = 200;

export const E2E_SCENARIO: ConfigLayer = {
  policy: E2E_POLICY,
  providers: [
    {
      name: "sim-a",
      type: "simulator",
      channels: ["sms"],
      timeout: "300ms",
      simulate: {
        default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 30 },
        rules: [
          { match: "+1202555011*", outcome: "reject", error: "no_route" },
          { match: "+1202555012*", outcome: "drop" },
          { match: "+1202555013*", outcome: "undelivered", dlr_delay_ms: 20 },
          { match: "+1202555014*", outcome: "reject", error: "no_route", latency_ms: 150 },
          { match: "+1202555015*", outcome: "timeout" },
          { match: "+1202555016*", outcome: "deliver", latency_ms: 300, dlr_delay_ms: 50 },
          { match: "+1202555017*", outcome: "drop" },
          { match: "+336123456*", outcome: "reject", error: "unavailable" },
        ],
      },
    },
    {
      name: "sim-b",
      type: "simulator",
      channels: ["sms"],
      simulate: {
        default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 100 },
        rules: [
          { match: "+1202555014*", outcome: "reject", error: "no_route" },
          { match: "+1202555017*", outcome: "drop" },
          { match: "+336123456*", outcome: "reject", error: "auth" },
        ],
      },
    },
    {
      name: "sim-voice",
      type: "simulator",
      channels: ["voice"],
      simulate: { default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 50 } },
    },
  ],
  routing: {
    default: ["sim-a", "sim-b", "sim-voice"],
    countries: {
      DE: ["sim-b", "sim-a", "sim-voice"],
      FR: ["sim-a", "sim-b"],
    },
  },
};
