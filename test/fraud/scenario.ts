/**
 * The fraud suites' scenario, layered over the test defaults (which turn the
 * guard off) by startTestServer({ config: [FRAUD_SCENARIO, fraudLayer({...})] }):
 * sim-a sends SMS, sim-voice voice calls, both accept and deliver; every
 * country routes [sim-a, sim-voice], so a number refused on SMS alone can
 * be offered voice. The guard starts from its defaults (enforce) unless a
 * test's layer changes it.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { type ErrorInfo, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { ConfigLayer } from "../support/config.js";
import type { TestServer } from "../support/server.js";

export const ADMIN_TOKEN = "fraud-admin-token-0123456789abcdef";

export const FRAUD_SCENARIO: ConfigLayer = {
  policy: { resend_min_interval: "1s" },
  providers: [
    { name: "sim-a", type: "simulator", channels: ["sms"], simulate: { default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 30 } } },
    { name: "sim-voice", type: "simulator", channels: ["voice"], simulate: { default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 30 } } },
  ],
  routing: { default: ["sim-a", "sim-voice"] },
};

/** A `fraud:` layer: the defaults (enforce) with `settings` merged on. */
export function fraudLayer(settings: ConfigLayer = {}): ConfigLayer {
  return { fraud: { mode: "enforce", ...settings } };
}

/** Numbers of one prefix: +1202555 with strip 4 gives +12025550000, +12025550001, ... */
export function numbersIn(prefix: string, digits = 4): () => string {
  let next = 0;
  return () => `${prefix}${String(next++).padStart(digits, "0")}`;
}

/** The PERMISSION_DENIED a guard answers, with its google.rpc.ErrorInfo. */
export async function expectRefusal(call: Promise<unknown>, reason: string): Promise<{ error: ConnectError; info: ErrorInfo }> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a refusal (${reason})`).toBeInstanceOf(ConnectError);
  const error = caught as ConnectError;
  expect(Code[error.code], error.rawMessage).toBe(Code[Code.PermissionDenied]);
  const [info] = error.findDetails(ErrorInfoSchema);
  expect(info, "a google.rpc.ErrorInfo detail").toBeDefined();
  expect(info!.reason).toBe(reason);
  expect(info!.domain).toBe("verifyd");
  return { error, info: info! };
}

/** Starts `count` verifications, one per number from `next`, and returns their ids (each must be sent). */
export async function startMany(server: TestServer, next: () => string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await server.connectH2.start({ phoneNumber: next() })).verification!.id);
  return ids;
}

/** Every call the simulators were asked to make, over both. */
export function providerCalls(server: TestServer): number {
  return server.sends("sim-a").length + server.sends("sim-voice").length;
}
