/**
 * AdminService.ListVerifications over the wire: Connect JSON over HTTP/1.1
 * and gRPC over HTTP/2, against a real server holding five verifications
 * made through the API, one (fake) second apart so their order is known.
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AdminService, type ListVerificationsRequestSchema } from "../../gen/verify/admin/v1/admin_pb.js";
import { AttemptStatus, type Verification, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { FakeClock } from "../support/clock.js";
import { expectConnectError } from "../support/expect-error.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { ADMIN_SCENARIO } from "./scenario.js";

let server: TestServer;
const clients: Record<string, Client<typeof AdminService>> = {};
/** Oldest first: [0] US on sim-a, [1] US failed over to sim-b, [2] DE on sim-b with metadata, [3] verified, [4] canceled. */
const made: Verification[] = [];
const clock = new FakeClock(Date.now());

beforeAll(async () => {
  server = await startTestServer({ config: ADMIN_SCENARIO, clock });
  clients.connect = server.client(AdminService);
  clients.grpc = server.client(AdminService, "grpc");
  const start = async (phoneNumber: string, metadata: Record<string, string> = {}) => {
    clock.advance(1_000);
    const { verification } = await server.connectH1.start({ phoneNumber, metadata });
    made.push(verification!);
    return verification!;
  };
  await start("+12025550100");
  await start("+12025550110");
  await start("+4915123456789", { user: "u-4711", email: "someone@example.com" });
  const verified = await start("+12025550101");
  await server.connectH1.check({ verificationId: verified.id, code: await server.codeSentTo("+12025550101") });
  const canceled = await start("+12025550102");
  await server.connectH1.cancel({ verificationId: canceled.id });
});
afterAll(async () => {
  await server?.close();
});

const ids = (verifications: Verification[]) => verifications.map((verification) => verification.id);
/** Ids of `made` by index, as a list answers them (newest first). */
const newestFirst = (...indexes: number[]) => indexes.map((index) => made[index]!.id);

describe.each(["connect", "grpc"])("ListVerifications over %s", (protocol) => {
  const list = (request: MessageInitShape<typeof ListVerificationsRequestSchema> = {}) => clients[protocol]!.listVerifications(request);

  test("lists every verification newest first, with its status and attempts, on one page", async () => {
    const { verifications, nextPageToken } = await list();

    expect(ids(verifications)).toEqual(newestFirst(4, 3, 2, 1, 0));
    expect(verifications.map((verification) => verification.status)).toEqual([
      VerificationStatus.CANCELED,
      VerificationStatus.VERIFIED,
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
    ]);
    expect(verifications[3]!.attempts.map((attempt) => attempt.provider)).toEqual(["sim-a", "sim-b"]);
    expect(verifications[3]!.attempts[0]!.status).toBe(AttemptStatus.REJECTED);
    expect(nextPageToken).toBe("");
  });

  test("masks every phone number to its country code, first two and last two digits, and leaves metadata out", async () => {
    const { verifications } = await list();

    expect(verifications.map((verification) => verification.phoneNumber)).toEqual([
      "+120******02",
      "+120******01",
      "+4915*******89",
      "+120******10",
      "+120******00",
    ]);
    expect(verifications.every((verification) => Object.keys(verification.metadata).length === 0)).toBe(true);
    // Get still answers the full record: only the list masks.
    const { verification } = await server.connectH1.get({ verificationId: made[2]!.id });
    expect(verification?.metadata).toEqual({ user: "u-4711", email: "someone@example.com" });
  });

  test("filters by statuses, country (any case) and provider (any attempt)", async () => {
    expect(ids((await list({ statuses: [VerificationStatus.VERIFIED, VerificationStatus.CANCELED] })).verifications)).toEqual(newestFirst(4, 3));
    expect(ids((await list({ country: "de" })).verifications)).toEqual(newestFirst(2));
    expect(ids((await list({ provider: "sim-b" })).verifications)).toEqual(newestFirst(2, 1));
    expect(ids((await list({ provider: "sim-a" })).verifications)).toEqual(newestFirst(4, 3, 1, 0));
    expect(ids((await list({ country: "US", provider: "sim-b" })).verifications)).toEqual(newestFirst(1));
  });

  test("filters by creation time: created_after inclusive, created_before exclusive", async () => {
    const createdAt = (index: number) => made[index]!.createdAt!;

    const { verifications } = await list({ createdAfter: createdAt(1), createdBefore: createdAt(3) });
    expect(ids(verifications)).toEqual(newestFirst(2, 1));
  });

  test("pages by page_size and next_page_token, each verification once, the last page without a token", async () => {
    const pages: string[][] = [];
    let pageToken = "";
    do {
      const page = await list({ pageSize: 2, pageToken });
      pages.push(ids(page.verifications));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");

    expect(pages).toEqual([newestFirst(4, 3), newestFirst(2, 1), newestFirst(0)]);
  });

  test("serves a page_size over 100 as 100 rather than refusing it", async () => {
    const { verifications, nextPageToken } = await list({ pageSize: 5_000 });
    expect(ids(verifications)).toEqual(newestFirst(4, 3, 2, 1, 0));
    expect(nextPageToken).toBe("");
  });

  test.each([
    ["a page token it did not issue", { pageToken: "bm90LWEtdG9rZW4" }, /page_token is not one this server issued/],
    ["a status of UNSPECIFIED", { statuses: [VerificationStatus.UNSPECIFIED] }, /statuses: UNSPECIFIED is not a status/],
    ["a country that is no ISO code", { country: "Germany" }, /country must be an ISO 3166-1 alpha-2 code/],
    ["a provider that is no provider name", { provider: "Sim B" }, /provider must be a provider name/],
    ["created_after not before created_before", { createdAfter: timestampFromMs(2_000), createdBefore: timestampFromMs(1_000) }, /created_after must be earlier/],
  ] as const)("answers %s with INVALID_ARGUMENT", async (_what, request, message) => {
    await expectConnectError(list(request as MessageInitShape<typeof ListVerificationsRequestSchema>), Code.InvalidArgument, message);
  });
});

// JSON cannot carry these (an unknown enum name is refused while decoding, a client cannot write such a timestamp); binary protobuf can.
describe("ListVerifications over gRPC, with what only binary protobuf can carry", () => {
  test("answers a status number the enum does not name with INVALID_ARGUMENT", async () => {
    await expectConnectError(clients.grpc!.listVerifications({ statuses: [42 as VerificationStatus] }), Code.InvalidArgument, /statuses: 42 is not a status/);
  });

  test("answers a timestamp whose nanos are out of range with INVALID_ARGUMENT", async () => {
    const createdAfter = { $typeName: "google.protobuf.Timestamp", seconds: 1n, nanos: 1_000_000_000 } as const;
    await expectConnectError(clients.grpc!.listVerifications({ createdAfter }), Code.InvalidArgument, /created_after is not a valid timestamp/);
  });
});
