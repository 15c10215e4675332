/** Reading API responses in the end-to-end suites. */
import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import type { Verification } from "../../gen/verify/v1/verify_pb.js";

export function ms(timestamp: Timestamp | undefined): number {
  if (!timestamp) throw new Error("timestamp is missing");
  return timestampMs(timestamp);
}

export function requireVerification(verification: Verification | undefined): Verification {
  if (!verification) throw new Error("response carries no verification");
  return verification;
}
