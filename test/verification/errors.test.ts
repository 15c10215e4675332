import { describe, expect, test } from "vitest";
import { VerifyError } from "../../src/verification/errors.js";
import { DuplicateKeyError } from "../../src/verification/ports.js";

describe("VerifyError", () => {
  test("is an Error named VerifyError with its kind, message and no details by default", () => {
    const error = new VerifyError("internal", "boom");

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "VerifyError", kind: "internal", message: "boom", details: {} });
  });

  test("the factories make the kind they are named for", () => {
    expect(VerifyError.invalidArgument("bad", { field: "x" })).toMatchObject({ kind: "invalid_argument", message: "bad", details: { field: "x" } });
    expect(VerifyError.invalidArgument("bad").details).toEqual({});
    expect(VerifyError.notFound("gone")).toMatchObject({ kind: "not_found", message: "gone" });
    expect(VerifyError.failedPrecondition("no")).toMatchObject({ kind: "failed_precondition", message: "no" });
    expect(VerifyError.unavailable("down")).toMatchObject({ kind: "unavailable", message: "down" });
  });

  test("rate_limited carries how long to wait", () => {
    expect(VerifyError.rateLimited("slow down", 1500)).toMatchObject({ kind: "rate_limited", message: "slow down", details: { retryAfterMs: 1500 } });
  });

  test("unavailable keeps what caused it", () => {
    const cause = new Error("socket closed");

    expect(VerifyError.unavailable("down", cause).cause).toBe(cause);
  });
});

describe("DuplicateKeyError", () => {
  test("names the unique field that was taken", () => {
    const error = new DuplicateKeyError("active_phone_number");

    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "DuplicateKeyError", field: "active_phone_number", message: "duplicate active_phone_number" });
  });
});
