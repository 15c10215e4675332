/**
 * A real verifyd for the receipt-binding suites (issue 10): one provider
 * pointed at its stand-in API, with a simulator behind it so that a receipt
 * wrongly marking an attempt undelivered shows up as a paid failover send.
 * A provider signs a receipt's body, not the callback path it posts to, so a
 * receipt for one message posted to another verification's callback URL must
 * change neither verification, be answered 2xx and be logged.
 *
 * Each suite says how its provider is configured, how its stand-in accepts a
 * send, and where a send carried its callback URL; this file starts verifyd
 * once for the test file (fake clock, timers run by hand), creates
 * verifications, and takes snapshots to compare.
 *
 * @example
 * vi.mock("../../../src/telemetry/logger.js", async (original) => (await import("../support/log-capture.js")).keepingWarnings(await original()));
 * const binding = useReceiptBinding({ provider: "telnyx", config, acceptSends, callbackUrl });
 * const a = await binding.start();
 * const b = await binding.start();
 * const before = await binding.snapshot(b.id);
 * // post a receipt signed for a.providerMessageId to b.callbackUrl, then:
 * expect(await binding.snapshot(b.id)).toEqual(before);
 */
import { afterAll, beforeAll, expect } from "vitest";
import { Channel } from "../../../gen/verify/v1/verify_pb.js";
import type { VerificationEvent, VerificationRecord } from "../../../src/verification/model.js";
import { FakeClock, T0 } from "../../support/clock.js";
import type { ConfigLayer } from "../../support/config.js";
import { startTestServer, type TestServer } from "../../support/server.js";
import { type LogLine, loggedWarnings } from "./log-capture.js";
import { type RecordedRequest, StandInServer } from "./stand-in-server.js";

/** The simulator routed after the provider under test. */
export const BACKUP = "backup";

const CHANNELS = { sms: Channel.SMS, voice: Channel.VOICE, whatsapp: Channel.WHATSAPP } as const;
export type ChannelName = keyof typeof CHANNELS;

export interface BindingSetup {
  /** The provider's name, as in its webhook path. */
  provider: string;
  /** Its entry under `providers`, pointed at the stand-in's `baseUrl`. */
  config(baseUrl: string): ConfigLayer;
  /** The channels the provider (and the simulator behind it) is configured for; the first is where start() sends unless told. */
  channels?: readonly ChannelName[];
  /** Scripts the stand-in to accept every send, each with a message id of its own. */
  acceptSends(api: StandInServer): void;
  /**
   * The callback URL one send gave the provider, exactly as the provider
   * would call it (a token in its query, say). Omitted for a provider whose
   * receipts all go to one URL per app.
   */
  callbackUrl?(send: RecordedRequest): string;
}

/** One verification whose first attempt the provider accepted. */
export interface Sent {
  id: string;
  /** The message id the stand-in gave attempt 1, as verifyd recorded it. */
  providerMessageId: string;
  /** Where the provider posts attempt 1's receipts: `<server>/webhooks/<provider>/<id>/1`, plus whatever the provider was given on top. */
  callbackUrl: string;
}

/** All a receipt could have changed about a verification. */
export interface Snapshot {
  record: VerificationRecord;
  events: VerificationEvent[];
}

export interface ReceiptBinding {
  readonly api: StandInServer;
  readonly server: TestServer;
  readonly clock: FakeClock;
  /** Starts a verification to a number of its own and returns its accepted first attempt. */
  start(channel?: ChannelName): Promise<Sent>;
  snapshot(verificationId: string): Promise<Snapshot>;
  /** The warnings verifyd logged that name this verification. */
  warningsAbout(verificationId: string): LogLine[];
  /** Runs the timer loop once and returns how many sends each provider has had in all. */
  sendsAfterTimers(): Promise<{ provider: number; backup: number }>;
}

/** Starts verifyd and the stand-in before the file's tests and closes both after them. */
export function useReceiptBinding(setup: BindingSetup): ReceiptBinding {
  const clock = new FakeClock(T0);
  let api: StandInServer | undefined;
  let server: TestServer | undefined;
  let phones = 0;
  const channels = setup.channels ?? ["sms"];

  beforeAll(async () => {
    api = await StandInServer.start();
    setup.acceptSends(api);
    server = await startTestServer({
      clock,
      timers: "manual",
      config: {
        providers: [setup.config(api.url), { name: BACKUP, type: "simulator", channels }],
        routing: { strategy: "static", default: [setup.provider, BACKUP] },
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await api?.close();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useReceiptBinding: used before its beforeAll ran");
    return value;
  };
  const snapshot = async (verificationId: string): Promise<Snapshot> => {
    const record = await started(server).app.store.get(verificationId);
    if (!record) throw new Error(`verification ${verificationId} is not in the store`);
    // The memory store hands out the records it keeps: a copy is what the verification was at this moment.
    return structuredClone({ record, events: started(server).events(verificationId) });
  };

  return {
    get api() {
      return started(api);
    },
    get server() {
      return started(server);
    },
    clock,
    async start(channel = channels[0] ?? "sms") {
      const stand = started(api);
      const sendsBefore = stand.requests.length;
      // 202-555-01xx: fictional numbers that still parse as valid North American ones.
      const phoneNumber = `+120255501${String(phones++).padStart(2, "0")}`;
      const { verification } = await started(server).connectH1.start({ phoneNumber, channel: CHANNELS[channel] });
      const id = verification!.id;
      const { record } = await snapshot(id);
      const attempt = record.attempts[0];
      expect(attempt, "the provider under test accepted attempt 1").toMatchObject({ provider: setup.provider, status: "submitted" });
      const sends = stand.requests.slice(sendsBefore);
      expect(sends, "one send reached the stand-in").toHaveLength(1);
      const path = `${started(server).url}/webhooks/${setup.provider}/${id}/1`;
      const given = setup.callbackUrl?.(sends[0]!);
      if (given !== undefined) expect(given.startsWith(path), `${given} is attempt 1's callback URL`).toBe(true);
      return { id, providerMessageId: attempt!.providerMessageId!, callbackUrl: given ?? path };
    },
    snapshot,
    warningsAbout: (verificationId) => loggedWarnings.filter((line) => line.level >= 40 && line.verificationId === verificationId),
    async sendsAfterTimers() {
      await started(server).runTimers();
      return { provider: started(server).sends(setup.provider).length, backup: started(server).sends(BACKUP).length };
    },
  };
}

/** What the receipt under test says: the message reached the handset, or it never will. */
export type Outcome = "delivered" | "undelivered";
export const OUTCOMES: readonly Outcome[] = ["delivered", "undelivered"];

/** Signs a receipt for `message`, the way the provider would, and posts it to `url`. */
export type PostReceipt = (message: Sent, url: string) => Promise<Response>;

/**
 * The binding end to end, for one outcome. A receipt for A's message posted
 * to B's callback URL is answered 200 (so the provider stops retrying),
 * changes neither A nor B (record, events, and the sends a timer pass
 * makes), and is logged against B with A's message id. The same receipt
 * posted to A's own callback URL then applies to A (an undelivered one
 * fails over to the simulator), and B still stays as it was.
 */
export async function expectBoundToItsMessage(binding: ReceiptBinding, outcome: Outcome, post: PostReceipt, channel?: ChannelName): Promise<void> {
  const a = await binding.start(channel);
  const b = await binding.start(channel);
  expect(a.providerMessageId).not.toBe(b.providerMessageId);
  const beforeA = await binding.snapshot(a.id);
  const beforeB = await binding.snapshot(b.id);
  const sendsBefore = await binding.sendsAfterTimers();

  const moved = await post(a, b.callbackUrl);

  expect(moved.status, await moved.text()).toBe(200);
  expect(await binding.snapshot(b.id)).toEqual(beforeB);
  expect(await binding.snapshot(a.id)).toEqual(beforeA);
  expect(await binding.sendsAfterTimers()).toEqual(sendsBefore);
  expect(binding.warningsAbout(b.id)).toContainEqual(expect.objectContaining({ providerMessageId: a.providerMessageId, attemptNumber: 1 }));

  const routed = await post(a, a.callbackUrl);

  expect(routed.status, await routed.text()).toBe(200);
  expect((await binding.snapshot(a.id)).record.attempts[0]?.status).toBe(outcome);
  const failover = outcome === "undelivered" ? 1 : 0;
  expect(await binding.sendsAfterTimers()).toEqual({ ...sendsBefore, backup: sendsBefore.backup + failover });
  expect(await binding.snapshot(b.id)).toEqual(beforeB);
  expect(binding.warningsAbout(a.id)).toEqual([]);
}
