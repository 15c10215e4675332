import { expect } from "vitest";
import { VerifyError, type VerifyErrorKind } from "../../../src/verification/errors.js";

/** Awaits `promise`, insists it rejects with a VerifyError of `kind`, and returns that error. */
export async function expectVerifyError(promise: Promise<unknown>, kind: VerifyErrorKind): Promise<VerifyError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a VerifyError of kind ${kind}`).toBeInstanceOf(VerifyError);
  expect((caught as VerifyError).kind).toBe(kind);
  return caught as VerifyError;
}
