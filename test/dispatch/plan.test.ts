import { describe, expect, test } from "vitest";
import { planStep } from "../../src/dispatch/plan.js";
import type { RouteChoice } from "../../src/verification/ports.js";
import { attempt } from "../verification/support/builders.js";

const A = { provider: "a" };
const B = { provider: "b" };
const C = { provider: "c" };
const open = (provider: string): RouteChoice => ({ provider, skipWhy: "breaker_open" });

describe("planStep", () => {
  test("picks the route's first provider when nothing was tried", () => {
    expect(planStep([A, B, C], [], "sms", false)).toEqual({ provider: "a", skipped: [] });
  });

  test("picks the first provider not yet tried on this channel", () => {
    const attempts = [attempt({ number: 1, provider: "a" }), attempt({ number: 2, provider: "c" })];

    expect(planStep([A, B, C], attempts, "sms", false)).toEqual({ provider: "b", skipped: [] });
  });

  test("a provider tried on another channel counts as untried on this one", () => {
    expect(planStep([A, B], [attempt({ number: 1, provider: "a", channel: "voice" })], "sms", false)).toEqual({ provider: "a", skipped: [] });
  });

  test("passes over and names providers the route says to skip", () => {
    expect(planStep([open("a"), B, open("c")], [], "sms", false)).toEqual({
      provider: "b",
      skipped: [
        { provider: "a", why: "breaker_open" },
        { provider: "c", why: "breaker_open" },
      ],
    });
  });

  test("a skipped provider already tried is not named again", () => {
    expect(planStep([open("a"), B], [attempt({ number: 1, provider: "a" })], "sms", false)).toEqual({ provider: "b", skipped: [] });
  });

  test("every provider tried, without a restart: none, still naming skipped untried ones", () => {
    const attempts = [attempt({ number: 1, provider: "a" })];

    expect(planStep([A, open("b")], attempts, "sms", false)).toEqual({ provider: undefined, skipped: [{ provider: "b", why: "breaker_open" }] });
  });

  test("every provider skipped: none, all named", () => {
    expect(planStep([open("a"), open("b")], [], "sms", true)).toEqual({
      provider: undefined,
      skipped: [
        { provider: "a", why: "breaker_open" },
        { provider: "b", why: "breaker_open" },
      ],
    });
  });

  test("an empty route gives none", () => {
    expect(planStep([], [], "sms", true)).toEqual({ provider: undefined, skipped: [] });
  });

  test("a restart goes round again from the first provider that did not refuse", () => {
    const attempts = [attempt({ number: 1, provider: "a", status: "rejected" }), attempt({ number: 2, provider: "b", status: "timed_out" })];

    expect(planStep([A, B], attempts, "sms", true)).toEqual({ provider: "b", skipped: [] });
  });

  test("a restart prefers the route's order among providers that did not refuse", () => {
    const attempts = [attempt({ number: 1, provider: "a", status: "timed_out" }), attempt({ number: 2, provider: "b", status: "submitted" })];

    expect(planStep([A, B], attempts, "sms", true)).toEqual({ provider: "a", skipped: [] });
  });

  test("a restart where every provider refused goes round from the first", () => {
    const attempts = [attempt({ number: 1, provider: "a", status: "rejected" }), attempt({ number: 2, provider: "b", status: "rejected" })];

    expect(planStep([A, B], attempts, "sms", true)).toEqual({ provider: "a", skipped: [] });
  });

  test("a restart only counts refusals on this channel", () => {
    const attempts = [
      attempt({ number: 1, provider: "a", status: "timed_out" }),
      attempt({ number: 2, provider: "b", status: "timed_out" }),
      attempt({ number: 3, provider: "a", channel: "voice", status: "rejected" }),
    ];

    expect(planStep([A, B], attempts, "sms", true)).toEqual({ provider: "a", skipped: [] });
  });

  test("a restart never picks a skipped provider", () => {
    const attempts = [attempt({ number: 1, provider: "b", status: "rejected" })];

    expect(planStep([open("a"), B], attempts, "sms", true)).toEqual({ provider: "b", skipped: [{ provider: "a", why: "breaker_open" }] });
  });

  test("with untried providers left, a restart changes nothing", () => {
    const attempts = [attempt({ number: 1, provider: "a", status: "timed_out" })];

    expect(planStep([A, B], attempts, "sms", true)).toEqual({ provider: "b", skipped: [] });
  });
});
