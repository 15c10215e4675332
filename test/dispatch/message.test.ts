import { describe, expect, test } from "vitest";
import { messageFor } from "../../src/dispatch/message.js";
import type { RenderInput } from "../../src/verification/ports.js";
import { FakeClock } from "../support/fakes.js";
import { attempt, POLICY, record, T0, TTL } from "../verification/support/builders.js";

function deps(now: number) {
  const rendered: RenderInput[] = [];
  return {
    rendered,
    deps: {
      messages: {
        render: (input: RenderInput) => {
          rendered.push(input);
          return `body for ${input.code}`;
        },
      },
      policy: { ...POLICY, brand: "Acme" },
      clock: new FakeClock(now),
    },
  };
}

describe("messageFor", () => {
  const skipped = [{ provider: "voice-z", why: "breaker_open" as const }];
  const current = record({ id: "ver_m", locale: "de", country: "DE", phoneNumber: "+4915123456789" });
  const voice = attempt({ number: 3, provider: "voice-a", channel: "voice", idempotencyKey: "ver_m-attempt-3", skipped });
  const reason = { kind: "failover", cause: { kind: "no_receipt" } } as const;

  test("addresses the record's number on the attempt's channel, with the attempt's idempotency key and reference", () => {
    const { deps: d } = deps(T0 + 1_000);

    expect(messageFor(d, current, voice, "123456", reason)).toEqual({
      to: "+4915123456789",
      channel: "voice",
      code: "123456",
      body: "body for 123456",
      locale: "de",
      idempotencyKey: "ver_m-attempt-3",
      reference: { verificationId: "ver_m", attemptNumber: 3 },
      attemptContext: { country: "DE", reason, skipped },
    });
  });

  test("renders the code for the attempt's channel in the record's locale, with the brand and the time the code has left", () => {
    const { deps: d, rendered } = deps(T0 + 1_000);

    messageFor(d, current, voice, "123456", reason);

    expect(rendered).toEqual([{ channel: "voice", locale: "de", code: "123456", brand: "Acme", ttlMs: TTL - 1_000 }]);
  });

  test("a code already past its expiry is rendered with no time left, never a negative one", () => {
    const { deps: d, rendered } = deps(T0 + TTL + 5_000);

    messageFor(d, current, voice, "123456", reason);

    expect(rendered[0]!.ttlMs).toBe(0);
  });
});
