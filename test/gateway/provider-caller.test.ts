import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { TimeoutCaller, toOutcome } from "../../src/gateway/provider-caller.js";
import { type OutboundMessage, PROVIDER_ERROR_KINDS, type ProviderAdapter, ProviderError, type SendResult } from "../../src/providers/adapter.js";
import { ScriptedProvider } from "../support/fakes.js";

const TIMEOUT_MS = 20;

const message: OutboundMessage = {
  to: "+12025550100",
  channel: "sms",
  code: "123456",
  body: "acme: your verification code is 123456.",
  locale: "en",
  idempotencyKey: "ver_x-attempt-1",
  reference: { verificationId: "ver_x", attemptNumber: 1 },
  callbackUrl: "",
};

function adapter(send: (message: OutboundMessage, signal: AbortSignal) => Promise<SendResult>): ProviderAdapter {
  return { name: "slow", type: "test", channels: ["sms"], cost: 0, send };
}

describe("TimeoutCaller", () => {
  test("passes an accepted send through with the provider's message id", async () => {
    const provider = new ScriptedProvider("sms-a", ["sms"]);

    const outcome = await new TimeoutCaller(() => TIMEOUT_MS).send(provider, message);

    expect(outcome).toEqual({ ok: true, providerMessageId: "sms-a-msg-1" });
    expect(provider.sent).toEqual([message]);
    expect(provider.signals[0]!.aborted).toBe(false);
  });

  test("asks for the timeout of the provider it is calling", async () => {
    const asked: string[] = [];

    const timeoutFor = (name: string) => {
      asked.push(name);
      return TIMEOUT_MS;
    };
    await new TimeoutCaller(timeoutFor).send(new ScriptedProvider("sms-b", ["sms"]), message);

    expect(asked).toEqual(["sms-b"]);
  });

  test("a provider that never answers yields unavailable after the timeout, and its signal is aborted", async () => {
    let seen: AbortSignal | undefined;
    const hanging = adapter(
      (_message, signal) =>
        new Promise<SendResult>((_, reject) => {
          seen = signal;
          signal.addEventListener("abort", () => reject(new Error("aborted by caller")), { once: true });
        }),
    );
    const startedAt = performance.now();

    const outcome = await new TimeoutCaller(() => TIMEOUT_MS).send(hanging, message);

    expect(outcome).toMatchObject({ ok: false, error: { kind: "unavailable" } });
    expect(outcome.ok === false && outcome.error.message).toMatch(/timed out after 20ms/);
    expect(seen?.aborted).toBe(true);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(TIMEOUT_MS - 2);
  });

  // The timeout is what bounds a Start call; it must not depend on the adapter honouring its signal.
  test("a provider that ignores its abort signal still yields unavailable shortly after the timeout", async () => {
    let seen: AbortSignal | undefined;
    const deaf = adapter((_message, signal) => {
      seen = signal;
      return new Promise<SendResult>(() => {});
    });

    const outcome = await Promise.race([new TimeoutCaller(() => TIMEOUT_MS).send(deaf, message), sleep(TIMEOUT_MS * 25).then(() => "still waiting" as const)]);

    expect(outcome).toMatchObject({ ok: false, error: { kind: "unavailable" } });
    expect(seen?.aborted).toBe(true);
  });

  test.each(PROVIDER_ERROR_KINDS)("a ProviderError of kind %s passes through with its kind and message", async (kind) => {
    const outcome = await new TimeoutCaller(() => TIMEOUT_MS).send(new ScriptedProvider("sms-a", ["sms"], kind), message);

    expect(outcome).toEqual({ ok: false, error: { kind, message: `scripted ${kind}` } });
  });

  test("any other thrown error counts as unavailable, keeping its message", async () => {
    const broken = adapter(async () => {
      throw new TypeError("socket hang up");
    });

    const outcome = await new TimeoutCaller(() => TIMEOUT_MS).send(broken, message);

    expect(outcome).toEqual({ ok: false, error: { kind: "unavailable", message: "socket hang up" } });
  });
});

describe("toOutcome", () => {
  test("turns a thrown non-Error into unavailable with its text", () => {
    expect(toOutcome("boom")).toEqual({ ok: false, error: { kind: "unavailable", message: "boom" } });
  });

  test("keeps a ProviderError's kind", () => {
    expect(toOutcome(new ProviderError("auth", "bad key", "p"))).toEqual({ ok: false, error: { kind: "auth", message: "bad key" } });
  });
});
