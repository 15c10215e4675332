import { describe, expect, test } from "vitest";
import type { ProviderAdapter, SentMessage } from "../../src/providers/adapter.js";
import { outboxOf } from "../../src/providers/outbox.js";

function adapter(name: string, kept?: SentMessage[]): ProviderAdapter {
  return {
    name,
    type: "test",
    channels: ["sms"],
    cost: 0,
    send: async () => ({ providerMessageId: "1" }),
    ...(kept && { outbox: (to?: string) => kept.filter((message) => to === undefined || message.to === to) }),
  };
}

const sent = (provider: string, to: string, at: string): SentMessage => ({ provider, channel: "sms", to, body: `code for ${to}`, at });

describe("outboxOf", () => {
  test("merges the outboxes of every provider that keeps one, oldest first", () => {
    const providers = [
      adapter("sim-a", [sent("sim-a", "+12025550100", "2025-01-01T00:00:02.000Z")]),
      adapter("twilio"),
      adapter("sim-b", [sent("sim-b", "+12025550100", "2025-01-01T00:00:01.000Z"), sent("sim-b", "+12025550199", "2025-01-01T00:00:03.000Z")]),
    ];

    expect(outboxOf(providers, "+12025550100")?.map((message) => message.provider)).toEqual(["sim-b", "sim-a"]);
    expect(outboxOf(providers)).toHaveLength(3);
  });

  test("is empty, not undefined, when a provider keeps an outbox but sent nothing to the number", () => {
    expect(outboxOf([adapter("sim-a", [])], "+12025550100")).toEqual([]);
  });

  test("is undefined when no provider keeps an outbox, so the route can answer 404", () => {
    expect(outboxOf([adapter("twilio")])).toBeUndefined();
  });
});
