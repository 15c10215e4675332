import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, test } from "vitest";
import { AttemptStatus } from "../../gen/verify/v1/verify_pb.js";
import { BreakerBoard, type BreakerSettings, type BreakerTransition } from "../../src/gateway/breakers.js";
import { type ProviderCaller, TimeoutCaller } from "../../src/gateway/provider-caller.js";
import type { OutboundMessage, ProviderAdapter, ProviderErrorKind } from "../../src/providers/adapter.js";
import type { SendOutcome } from "../../src/verification/ports.js";
import { eventually } from "../support/eventually.js";
import { expectConnectError } from "../support/expect-error.js";
import { ScriptedProvider } from "../support/fakes.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { order, silentProvider } from "./scenario.js";

/** Short real-time settings: opossum runs on real timers. */
const SETTINGS: BreakerSettings = {
  errorThresholdPercentage: 50,
  volumeThreshold: 3,
  resetTimeoutMs: 300,
  rollingWindowMs: 10_000,
};
const PROVIDER_TIMEOUT_MS = 200;

const boards: BreakerBoard[] = [];
let server: TestServer | undefined;
afterEach(async () => {
  for (const board of boards.splice(0)) board.close();
  await server?.close();
  server = undefined;
});

function board(inner: ProviderCaller, now?: () => number): BreakerBoard {
  const created = new BreakerBoard(inner, () => SETTINGS, now);
  boards.push(created);
  return created;
}

/** US numbers 202-555-01xx, one per Start (a number holds one active verification). */
let nextNumber = 0;
const freshNumber = () => `+120255501${String(nextNumber++).padStart(2, "0")}`;
/** US numbers 202-555-02xx: the ones a provider that "recovered" accepts again. */
let nextRecovered = 0;
const recoveredNumber = () => `+120255502${String(nextRecovered++).padStart(2, "0")}`;

/** Polls `condition` every few ms until it holds, failing after `timeoutMs`. */
const waitUntil = (condition: () => boolean, timeoutMs: number, what: string) =>
  eventually(() => expect(condition(), what).toBe(true), { timeoutMs, intervalMs: 5 });

describe("a provider whose calls hang, behind its breaker", () => {
  test("opens after the volume threshold, is skipped at once while open, and closes again after a successful probe", async () => {
    // flaky never answers, until it recovers: the numbers sent after that are ones it accepts.
    server = await startTestServer({
      config: {
        providers: [
          silentProvider("flaky", {
            timeout: `${PROVIDER_TIMEOUT_MS}ms`,
            breaker: {
              error_threshold_percentage: SETTINGS.errorThresholdPercentage,
              volume_threshold: SETTINGS.volumeThreshold,
              reset_timeout: `${SETTINGS.resetTimeoutMs}ms`,
              rolling_window: `${SETTINGS.rollingWindowMs}ms`,
            },
            simulate: { default: { outcome: "timeout" }, rules: [{ match: "+120255502*", outcome: "drop" }] },
          }),
          silentProvider("steady"),
        ],
        routing: { default: ["flaky", "steady"] },
        // No scorer: the router keeps the table order.
        scoring: { enabled: false },
      },
    });
    const { app, connectH2: client } = server;
    const flakySends = () => server!.sends("flaky");
    const transitions: string[] = [];
    app.breakers.onTransition((transition) => transitions.push(transition.state));

    // Closed: every Start waits out flaky's timeout, then fails over to steady.
    for (let i = 0; i < SETTINGS.volumeThreshold; i++) {
      const record = (await client.start({ phoneNumber: freshNumber() })).verification!;
      expect(record.attempts.map((a) => [a.provider, a.status])).toEqual([
        ["flaky", AttemptStatus.REJECTED],
        ["steady", AttemptStatus.SUBMITTED],
      ]);
      expect(record.attempts[0]!.error).toMatch(/timed out after 200ms/);
    }
    expect(app.breakers.state("flaky", "sms")).toBe("open");
    expect(transitions).toEqual(["open"]);
    // The timed-out calls were aborted, not left running.
    expect(flakySends().every((call) => call.signal.aborted)).toBe(true);

    // Open: the router puts it last and marks it skipped; a Start never calls it.
    const route = app.router.route("US", "sms");
    expect(order(route)).toEqual(["steady", "flaky"]);
    expect(route.entries[1]).toMatchObject({ skip: true, breaker: "open", reason: expect.stringMatching(/^circuit open/) });

    const sendsBefore = flakySends().length;
    const startedAt = performance.now();
    const skipped = (await client.start({ phoneNumber: freshNumber() })).verification!;
    const elapsedMs = performance.now() - startedAt;
    expect(flakySends().length).toBe(sendsBefore);
    // A behavioural bound: nowhere near the 200 ms a call to flaky would cost.
    expect(elapsedMs).toBeLessThan(PROVIDER_TIMEOUT_MS / 4);
    expect(skipped.attempts.map((a) => [a.provider, a.status])).toEqual([["steady", AttemptStatus.SUBMITTED]]);
    const submitted = server.events(skipped.id).find((event) => event.type === "submitted");
    expect(submitted?.skipped).toEqual([{ provider: "flaky", why: "breaker_open" }]);

    // After reset_timeout: half-open, and the probe does reach flaky; still hanging, so it opens again.
    await waitUntil(() => app.breakers.state("flaky", "sms") === "half_open", 2_000, "half-open");
    expect(app.router.route("US", "sms").entries[0]).toMatchObject({ skip: false, breaker: "half_open" });
    // Three Starts at once: one is the probe and waits out the timeout; the others do not wait for it.
    const timed = async () => {
      const began = performance.now();
      const record = (await client.start({ phoneNumber: freshNumber() })).verification!;
      return { record, ms: performance.now() - began };
    };
    const during = await Promise.all([timed(), timed(), timed()]);
    expect(flakySends().length).toBe(sendsBefore + 1);
    const probes = during.filter(({ record }) => record.attempts[0]!.error.includes("timed out"));
    expect(probes).toHaveLength(1);
    expect(probes[0]!.ms).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS - 5);
    for (const { record, ms } of during) {
      expect(record.attempts.at(-1)).toMatchObject({ provider: "steady", status: AttemptStatus.SUBMITTED });
      if (!probes.some((probe) => probe.record === record)) expect(ms).toBeLessThan(PROVIDER_TIMEOUT_MS / 4);
    }
    expect(app.breakers.state("flaky", "sms")).toBe("open");

    // Recovered: the next probe succeeds, the breaker closes, and flaky is first again.
    await waitUntil(() => app.breakers.state("flaky", "sms") === "half_open", 2_000, "half-open again");
    const probe = (await client.start({ phoneNumber: recoveredNumber() })).verification!;
    expect(probe.attempts.map((a) => [a.provider, a.status])).toEqual([["flaky", AttemptStatus.SUBMITTED]]);
    expect(app.breakers.state("flaky", "sms")).toBe("closed");
    const after = (await client.start({ phoneNumber: recoveredNumber() })).verification!;
    expect(after.attempts.map((a) => [a.provider, a.status])).toEqual([["flaky", AttemptStatus.SUBMITTED]]);
    expect(order(app.router.route("US", "sms"))).toEqual(["flaky", "steady"]);
    expect(transitions).toEqual(["open", "half_open", "open", "half_open", "closed"]);
  });
});

/** An inner caller that answers every send with the same outcome, counting calls. */
function scriptedCaller(outcome: SendOutcome) {
  const calls: string[] = [];
  const caller: ProviderCaller = {
    async send(adapter) {
      calls.push(adapter.name);
      return outcome;
    },
  };
  return { caller, calls };
}

const adapter = (name: string): ProviderAdapter => new ScriptedProvider(name, ["sms", "voice"]);

const message = (channel: "sms" | "voice" = "sms"): OutboundMessage => ({
  to: "+12025550100",
  channel,
  code: "123456",
  body: "Your code is 123456",
  locale: "en",
  idempotencyKey: "ver_x-attempt-1",
  reference: { verificationId: "ver_x", attemptNumber: 1 },
  callbackUrl: "",
});

describe("BreakerBoard: which failures count against a provider", () => {
  test.each<ProviderErrorKind>(["invalid_number", "no_route"])(
    "a %s rejection is about the number or route, so however many never open the breaker",
    async (kind) => {
      const { caller, calls } = scriptedCaller({ ok: false, error: { kind, message: "refused" } });
      const breakers = board(caller);
      const transitions: BreakerTransition[] = [];
      breakers.onTransition((transition) => transitions.push(transition));
      const provider = adapter("picky");
      for (let i = 0; i < 25; i++) {
        expect(await breakers.send(provider, message())).toEqual({ ok: false, error: { kind, message: "refused" } });
      }
      expect(calls).toHaveLength(25);
      expect(breakers.state("picky", "sms")).toBe("closed");
      expect(transitions).toEqual([]);
    },
  );

  test.each<ProviderErrorKind>(["unavailable", "auth", "rate_limited"])(
    "%s failures open the breaker at the volume threshold, after which the provider is not called",
    async (kind) => {
      const { caller, calls } = scriptedCaller({ ok: false, error: { kind, message: "provider trouble" } });
      const at = 1_234_567;
      const breakers = board(caller, () => at);
      const transitions: BreakerTransition[] = [];
      breakers.onTransition((transition) => transitions.push(transition));
      const provider = adapter("sick");
      for (let i = 0; i < SETTINGS.volumeThreshold; i++) {
        expect(await breakers.send(provider, message())).toEqual({ ok: false, error: { kind, message: "provider trouble" } });
      }
      expect(breakers.state("sick", "sms")).toBe("open");
      expect(transitions).toEqual([{ provider: "sick", channel: "sms", state: "open", at }]);

      const whileOpen = await breakers.send(provider, message());
      expect(whileOpen).toMatchObject({ ok: false, error: { kind: "breaker_open" } });
      expect(calls).toHaveLength(SETTINGS.volumeThreshold);
    },
  );

  test("a breaker belongs to one provider and one channel", async () => {
    const { caller } = scriptedCaller({ ok: false, error: { kind: "unavailable", message: "down" } });
    const breakers = board(caller);
    for (let i = 0; i < SETTINGS.volumeThreshold; i++) await breakers.send(adapter("sick"), message("sms"));
    expect(breakers.state("sick", "sms")).toBe("open");
    expect(breakers.state("sick", "voice")).toBe("closed");
    expect(breakers.state("other", "sms")).toBe("closed");
  });

  test("fewer calls than the volume threshold never open the breaker, even if all fail", async () => {
    const { caller } = scriptedCaller({ ok: false, error: { kind: "unavailable", message: "down" } });
    const breakers = board(caller);
    for (let i = 0; i < SETTINGS.volumeThreshold - 1; i++) await breakers.send(adapter("sick"), message());
    expect(breakers.state("sick", "sms")).toBe("closed");
  });

  test("every transition is reported to each listener until it unsubscribes", async () => {
    let outcome: SendOutcome = { ok: false, error: { kind: "auth", message: "bad key" } };
    const breakers = board({ send: async () => outcome });
    const kept: string[] = [];
    const dropped: string[] = [];
    breakers.onTransition((transition) => kept.push(transition.state));
    const unsubscribe = breakers.onTransition((transition) => dropped.push(transition.state));
    for (let i = 0; i < SETTINGS.volumeThreshold; i++) await breakers.send(adapter("sick"), message());
    unsubscribe();
    outcome = { ok: true, providerMessageId: "m-1" };
    await waitUntil(() => breakers.state("sick", "sms") === "half_open", 2_000, "half-open");
    expect(await breakers.send(adapter("sick"), message())).toEqual({ ok: true, providerMessageId: "m-1" });
    expect(kept).toEqual(["open", "half_open", "closed"]);
    expect(dropped).toEqual(["open"]);
  });
});

describe("when no provider can be tried", () => {
  test("a Start with every provider's breaker open fails at once, naming the open circuits in the error and the event stream", async () => {
    // Both refuse with `unavailable`, which counts against a provider: one refusal each opens their breakers.
    const refusing = { breaker: { volume_threshold: 1, reset_timeout: "1m" }, simulate: { default: { outcome: "reject", error: "unavailable" } } };
    server = await startTestServer({
      config: { providers: [silentProvider("a", refusing), silentProvider("b", refusing)], routing: { default: ["a", "b"] }, scoring: { enabled: false } },
    });
    await expectConnectError(server.connectH2.start({ phoneNumber: freshNumber() }), Code.Unavailable);
    expect([server.app.breakers.state("a", "sms"), server.app.breakers.state("b", "sms")]).toEqual(["open", "open"]);
    const sendsBefore = server.sends("a").length + server.sends("b").length;
    const created = server.createdIds().length;

    // The providers are routed for the country; they were skipped because their circuits are open.
    await expectConnectError(server.connectH2.start({ phoneNumber: freshNumber() }), Code.Unavailable, /circuit open/);
    expect(server.sends("a").length + server.sends("b").length).toBe(sendsBefore);
    const [id] = server.createdIds().slice(created);
    const failed = server.events(id!).find((event) => event.type === "failed");
    expect(failed?.skipped?.map((s) => s.why)).toEqual(["breaker_open", "breaker_open"]);
  });
});

describe("a provider that ignores its abort signal", () => {
  test("still counts as failed once its timeout has passed, so its breaker can open", async () => {
    const stubborn: ProviderAdapter = {
      name: "stubborn",
      type: "test",
      channels: ["sms"],
      cost: 0,
      // Never settles, abort or not: an SDK that takes no signal behaves like this.
      send: () => new Promise<never>(() => {}),
    };
    const breakers = board(new TimeoutCaller(() => 50));
    const outcome = await Promise.race([
      breakers.send(stubborn, message()),
      new Promise<"still waiting">((resolve) => setTimeout(() => resolve("still waiting"), 500)),
    ]);
    expect(outcome).toMatchObject({ ok: false, error: { kind: "unavailable", message: expect.stringMatching(/timed out after 50ms/) } });
  });
});
