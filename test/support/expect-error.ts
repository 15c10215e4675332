/** Assertions that a call failed the way it should, one per kind of error a test meets. */
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { expect } from "vitest";
import { VerifyError, type VerifyErrorKind } from "../../src/verification/errors.js";

/** Awaits `promise`, insists it rejects with a VerifyError of `kind`, and returns that error. */
export async function expectVerifyError(promise: Promise<unknown>, kind: VerifyErrorKind): Promise<VerifyError> {
  const caught = await rejectionOf(promise);
  expect(caught, `expected a VerifyError of kind ${kind}`).toBeInstanceOf(VerifyError);
  expect((caught as VerifyError).kind).toBe(kind);
  return caught as VerifyError;
}

/** Asserts a Connect client call failed with `code`, and its message matches `message`. */
export async function expectConnectError(call: Promise<unknown>, code: Code, message?: RegExp): Promise<ConnectError> {
  const caught = await rejectionOf(call);
  expect(caught, "the call should have failed").toBeInstanceOf(ConnectError);
  const error = caught as ConnectError;
  expect(Code[error.code], error.rawMessage).toBe(Code[code]);
  if (message) expect(error.rawMessage).toMatch(message);
  return error;
}

/** Asserts a grpc-js call failed with `code`, and its details match `message`. */
export async function expectGrpcJsError(call: Promise<unknown>, code: grpc.status, message?: RegExp): Promise<grpc.ServiceError> {
  const caught = await rejectionOf(call);
  expect(caught, "the call should have failed").toBeInstanceOf(Error);
  const error = caught as grpc.ServiceError;
  expect(grpc.status[error.code], error.details).toBe(grpc.status[code]);
  if (message) expect(error.details).toMatch(message);
  return error;
}

/** What `promise` rejected with; undefined when it resolved. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}
