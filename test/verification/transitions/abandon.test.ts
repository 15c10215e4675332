import { describe, expect, test } from "vitest";
import { abandonSending, neverSent } from "../../../src/verification/transitions/sending.js";
import { attempt, FINISHED, frozen, record, submitted, T0, TTL, WINDOW } from "../support/builders.js";

const LEASE = { owner: "me", until: T0 + 5_000 };

describe("abandonSending (the caller's deadline passed before the next provider was called)", () => {
  test("takes back an attempt recorded as sending, releases the lease and leaves the timer to expiry", () => {
    const current = frozen(record({ status: "pending", attempts: [attempt({ number: 1, status: "sending" })], lease: LEASE, dueAt: LEASE.until }));

    const outcome = abandonSending(current, WINDOW);

    expect(outcome).toEqual({ record: { ...current, attempts: [], lease: undefined, dueAt: T0 + TTL }, events: [], effects: [], result: undefined });
  });

  test("keeps attempts that were made (a rejection stays) and only releases the lease", () => {
    const rejected = attempt({ number: 1, status: "rejected", error: { kind: "no_route", message: "x" } });
    const current = frozen(record({ status: "pending", attempts: [rejected], lease: LEASE, dueAt: LEASE.until }));

    const outcome = abandonSending(current, WINDOW);

    expect("record" in outcome && outcome.record.attempts).toEqual([rejected]);
    expect("record" in outcome && outcome.record.lease).toBeUndefined();
  });

  test("an earlier accepted attempt keeps its delivery window as the due time", () => {
    const current = submitted(T0, { lease: LEASE });
    current.attempts.push(attempt({ number: 2, status: "sending" }));

    const outcome = abandonSending(frozen(current), WINDOW);

    expect("record" in outcome && outcome.record.dueAt).toBe(T0 + WINDOW);
    expect("record" in outcome && outcome.record.attempts.map((a) => a.status)).toEqual(["submitted"]);
  });

  test("changes nothing without a lease, or once finished", () => {
    expect(abandonSending(record({ status: "pending", lease: undefined }), WINDOW)).toEqual({ unchanged: true, result: undefined });
    for (const status of FINISHED) expect(abandonSending(record({ status, lease: LEASE }), WINDOW)).toEqual({ unchanged: true, result: undefined });
  });
});

describe("neverSent", () => {
  test("is true for a pending record with nothing accepted and nothing in flight", () => {
    expect(neverSent(record({ status: "pending" }), T0)).toBe(true);
    expect(neverSent(record({ status: "pending", attempts: [attempt({ number: 1, status: "rejected" })] }), T0)).toBe(true);
  });

  test("is false once a provider accepted, while another call is sending, or when not pending", () => {
    expect(neverSent(record({ status: "pending", attempts: [attempt({ number: 1, status: "timed_out" })] }), T0)).toBe(false);
    expect(neverSent(record({ status: "pending", attempts: [attempt({ number: 1, status: "sending" })], lease: LEASE }), T0)).toBe(false);
    expect(neverSent(record({ status: "pending", attempts: [attempt({ number: 1, status: "sending" })], lease: LEASE }), LEASE.until)).toBe(true);
    expect(neverSent(record({ status: "submitted" }), T0)).toBe(false);
  });
});
