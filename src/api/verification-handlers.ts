import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { VerificationService as VerificationServiceDesc } from "../../gen/verify/v1/verify_pb.js";
import type { VerificationService } from "../service/verification-service.js";
import { VerifyError } from "../verification/errors.js";
import { channelFromProto, eventToProto, verificationToProto } from "./to-proto.js";

/**
 * verify.v1.VerificationService over Connect, gRPC and gRPC-Web: translate the
 * request, call the domain, translate the answer. Errors are mapped by the
 * router's interceptor (error-mapping.ts), not here.
 */
export function registerVerificationHandlers(router: ConnectRouter, service: VerificationService, shutdown: AbortSignal): void {
  router.service(VerificationServiceDesc, {
    async start(request) {
      const channel = channelFromProto(request.channel);
      if (!channel) throw VerifyError.invalidArgument(`channel ${request.channel} is not a known channel`);
      const verification = await service.start({
        phoneNumber: request.phoneNumber,
        defaultCountry: request.defaultCountry || undefined,
        channel,
        idempotencyKey: request.idempotencyKey || undefined,
        clientIp: request.clientIp || undefined,
        locale: request.locale || undefined,
        codeLength: request.codeLength,
        metadata: request.metadata,
      });
      return { verification: verificationToProto(verification) };
    },

    async check(request) {
      const result = await service.check(request.verificationId, request.code, request.clientIp || undefined);
      return { approved: result.approved, verification: verificationToProto(result.verification) };
    },

    async *watch(request, context: HandlerContext) {
      // Ends when the client goes away or the server drains; either way the stream closes cleanly.
      const signal = AbortSignal.any([context.signal, shutdown]);
      // 0 is "not set": start with the snapshot.
      const afterSequence = request.afterSequence > 0n ? Number(request.afterSequence) : undefined;
      for await (const event of service.watch(request.verificationId, signal, afterSequence)) {
        yield { event: eventToProto(event) };
      }
    },

    async resend(request) {
      let channel;
      if (request.channel !== undefined) {
        channel = channelFromProto(request.channel);
        if (!channel) throw VerifyError.invalidArgument(`channel ${request.channel} is not a known channel`);
      }
      const verification = await service.resend(request.verificationId, channel, request.clientIp || undefined);
      return { verification: verificationToProto(verification) };
    },

    async cancel(request) {
      return { verification: verificationToProto(await service.cancel(request.verificationId)) };
    },

    async get(request) {
      return { verification: verificationToProto(await service.get(request.verificationId)) };
    },
  });
}
