import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type ListVerificationsRequest, type ListVerificationsResponse, ListVerificationsResponseSchema } from "../../gen/verify/admin/v1/admin_pb.js";
import { type Verification, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import type { VerificationService } from "../service/verification-service.js";
import { VerifyError } from "../verification/errors.js";
import type { VerificationRecord } from "../verification/model.js";
import { maskPhoneNumber } from "../verification/phone.js";
import { statusFromProto, verificationToProto } from "./to-proto.js";

/** google.protobuf.Timestamp's range: 0001-01-01 to 9999-12-31. */
const TIMESTAMP_SECONDS = { min: -62_135_596_800n, max: 253_402_300_799n };

/**
 * AdminService.ListVerifications: the request's filters as the domain's
 * query, one page from the service, each verification with its number
 * masked and its metadata (the caller's own data, possibly personal) left
 * out. A page_size over 100 is served 100, as AIP-158 has it; everything
 * else malformed answers INVALID_ARGUMENT naming the field.
 */
export function listVerificationsMethod(service: Pick<VerificationService, "list">) {
  return async function listVerifications(request: ListVerificationsRequest): Promise<ListVerificationsResponse> {
    const page = await service.list({
      statuses: request.statuses.map((status) => {
        const known = statusFromProto(status);
        if (!known) throw VerifyError.invalidArgument(`statuses: ${VerificationStatus[status] ?? status} is not a status a verification can have`);
        return known;
      }),
      country: request.country || undefined,
      provider: request.provider || undefined,
      createdAfter: timestampMs(request.createdAfter, "created_after"),
      createdBefore: timestampMs(request.createdBefore, "created_before"),
      pageSize: request.pageSize,
      pageToken: request.pageToken || undefined,
    });
    return create(ListVerificationsResponseSchema, { verifications: page.verifications.map(listedToProto), nextPageToken: page.nextPageToken ?? "" });
  };
}

/** A verification as a list shows it: the number masked, no metadata. */
export function listedToProto(record: VerificationRecord): Verification {
  const verification = verificationToProto({ ...record, metadata: {} });
  verification.phoneNumber = maskPhoneNumber(record.phoneNumber, record.country);
  return verification;
}

/** Epoch ms, rounded up: records carry whole milliseconds, so `createdAt >= t` and `createdAt < t` keep their meaning. */
function timestampMs(timestamp: Timestamp | undefined, field: string): number | undefined {
  if (!timestamp) return undefined;
  if (timestamp.seconds < TIMESTAMP_SECONDS.min || timestamp.seconds > TIMESTAMP_SECONDS.max || timestamp.nanos < 0 || timestamp.nanos > 999_999_999) {
    throw VerifyError.invalidArgument(`${field} is not a valid timestamp (seconds within years 1 to 9999, nanos from 0 to 999999999)`);
  }
  return Number(timestamp.seconds) * 1000 + Math.ceil(timestamp.nanos / 1_000_000);
}
