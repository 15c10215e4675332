/**
 * Starts a real verifyd (simulators only) on a free port and connects Connect
 * clients for the admin service and the verification service to it.
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
import { setTimeout as sleep } from "node:timers/promises";
import { Code, type Client, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { expect } from "vitest";
import { AdminService } from "../../gen/verify/admin/v1/admin_pb.js";
import { VerificationService } from "../../gen/verify/v1/verify_pb.js";
import { parseConfig } from "../../src/config/load-config.js";
import { type App, startApp } from "../../src/server/app.js";
import { createLogger } from "../../src/telemetry/logger.js";

export const ADMIN_TOKEN = "admin-test-token-0123456789abcdef";

export function adminConfigYaml(options: { token?: string } = {}): string {
  return `
server: { port: 0, host: 127.0.0.1, shutdown_grace: 2s }
security: { code_hmac_key: "admin-test-hmac-key-0123456789abcdef" }
log: { level: silent }
${options.token ? `admin: { token: "${options.token}" }` : ""}
rate_limits:
  per_phone: { limit: 1000, window: 10m }
  per_ip: { limit: 1000, window: 10m }
  check_per_ip: { limit: 1000, window: 10m }
timers: { poll_interval: 20ms }
providers:
  - name: sim-a
    type: simulator
    channels: [sms]
    cost: 0.07
    simulate:
      default: { outcome: deliver, dlr_delay_ms: 10 }
      rules:
        - { match: "+1202555011*", outcome: reject, error: no_route }
  - name: sim-b
    type: simulator
    channels: [sms, voice]
    cost: 0.05
    cost_by_country: { DE: 0.02 }
    simulate:
      default: { outcome: deliver, dlr_delay_ms: 10 }
  - name: sim-flaky
    type: simulator
    channels: [sms]
    breaker: { volume_threshold: 3, reset_timeout: 1m }
    simulate:
      default: { outcome: reject, error: unavailable }
routing:
  strategies: { FR: static }
  default: [sim-a, sim-b]
  countries:
    DE: [sim-b, sim-a]
    FR: [sim-flaky, sim-b]
`;
}

export interface AdminTestServer {
  readonly app: App;
  /** Admin client that sends no authorization header of its own. */
  readonly admin: Client<typeof AdminService>;
  readonly verification: Client<typeof VerificationService>;
  close(): Promise<void>;
}

export async function startAdminTestApp(options: { token?: string } = {}): Promise<AdminTestServer> {
  const config = parseConfig(adminConfigYaml(options), {}, "admin test config");
  const app = await startApp(config, { port: 0, host: "127.0.0.1", logger: createLogger("silent") });
  const transport = createConnectTransport({ baseUrl: app.url, httpVersion: "1.1" });
  return {
    app,
    admin: createClient(AdminService, transport),
    verification: createClient(VerificationService, transport),
    close: () => app.close(),
  };
}

export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** Asserts a call failed with `code`. */
export async function expectCode(call: Promise<unknown>, code: Code, message?: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  expect(caught, "the call should have failed").toBeInstanceOf(ConnectError);
  const error = caught as ConnectError;
  expect(Code[error.code], error.rawMessage).toBe(Code[code]);
  if (message) expect(error.rawMessage).toMatch(message);
}

/** Retries `assertion` until it passes or `timeoutMs` runs out, then throws its last failure. */
export async function eventually<T>(assertion: () => T | Promise<T>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(20);
    }
  }
}
