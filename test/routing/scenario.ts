/**
 * What the routing suites share when they drive a real server
 * (startTestServer) on the test's clock: providers that accept and then stay
 * silent, so that receipts arrive when the test hands them in, at the time
 * its clock says, and a way to read a route's order.
 */
import type { ConfigLayer } from "../support/config.js";
import { codeFromBody } from "../support/outbox.js";
import type { TestServer } from "../support/server.js";

/** An SMS simulator that accepts every message and sends no receipt; `extra` adds to or overrides its settings. */
export function silentProvider(name: string, extra: ConfigLayer = {}): ConfigLayer {
  return { name, type: "simulator", channels: ["sms"], simulate: { default: { outcome: "drop" } }, ...extra };
}

/** Provider names of a route, in the order a Start would try them. */
export function order(decision: { entries: ReadonlyArray<{ provider: string }> }): string[] {
  return decision.entries.map((entry) => entry.provider);
}

/** Hands verifyd the receipt `provider` would post for an attempt, stamped `at` (the test clock's now). */
export async function receipt(
  server: TestServer,
  attempt: { provider: string; verificationId: string; attemptNumber: number; at: number },
  state: "delivered" | "undelivered" = "delivered",
): Promise<void> {
  // A receipt names its message, as every provider's does: that id is what binds it to the attempt.
  const record = await server.app.store.get(attempt.verificationId);
  const providerMessageId = record?.attempts[attempt.attemptNumber - 1]?.providerMessageId;
  return server.app.service.handleReceipt({
    provider: attempt.provider,
    state,
    reference: { verificationId: attempt.verificationId, attemptNumber: attempt.attemptNumber },
    providerMessageId,
    at: attempt.at,
  });
}

/** The code in the last message `provider` sent to `to`. */
export async function lastCodeFrom(server: TestServer, provider: string, to: string): Promise<string> {
  const message = (await server.outbox(to)).findLast((sent) => sent.provider === provider);
  if (!message) throw new Error(`${provider} sent nothing to ${to}`);
  return codeFromBody(message.body);
}
