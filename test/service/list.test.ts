import { describe, expect, test } from "vitest";
import { expectVerifyError } from "../support/expect-error.js";
import { createHarness, DEFAULT_POLICY, OTHER_PHONE, PHONE } from "../support/service-harness.js";

describe("VerificationService.list", () => {
  test("shows a code past its expiry as expired before the timer loop writes it, and leaves it out of a filter for other statuses", async () => {
    const h = createHarness();
    const stale = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(DEFAULT_POLICY.codeTtlMs / 2);
    const fresh = await h.service.start({ phoneNumber: OTHER_PHONE });
    h.clock.advance(DEFAULT_POLICY.codeTtlMs / 2 + 1);
    // The timer loop has not run: the store still holds the first as submitted.
    expect((await h.store.get(stale.id))?.status).toBe("submitted");

    const all = await h.service.list({});
    expect(all.verifications.map((record) => [record.id, record.status])).toEqual([
      [fresh.id, "submitted"],
      [stale.id, "expired"],
    ]);
    expect((await h.service.list({ statuses: ["submitted"] })).verifications.map((record) => record.id)).toEqual([fresh.id]);
  });

  test("validates the query before the store reads it", async () => {
    const h = createHarness();
    const error = await expectVerifyError(h.service.list({ country: "Deutschland" }), "invalid_argument");
    expect(error.message).toMatch(/country must be an ISO 3166-1 alpha-2 code/);
  });
});
