import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { VerificationService as VerificationServiceDesc } from "../../gen/verify/v1/verify_pb.js";
import type { VerificationService } from "../service/verification-service.js";
import { VerifyError } from "../verification/errors.js";
import { callerSignal, deadlinePassed } from "./caller-signal.js";
import { type ClientAddressPolicy, clientIpOf } from "./client-address.js";
import { channelFromProto, eventToProto, verificationToProto } from "./to-proto.js";

/**
 * verify.v1.VerificationService over Connect, gRPC and gRPC-Web: translate the
 * request, call the domain, translate the answer. Errors are mapped by the
 * router's interceptor (error-mapping.ts), not here.
 */
export function registerVerificationHandlers(router: ConnectRouter, service: VerificationService, shutdown: AbortSignal, policy: ClientAddressPolicy): void {
  router.service(VerificationServiceDesc, {
    async start(request, context) {
      const channel = channelFromProto(request.channel);
      if (!channel) throw VerifyError.invalidArgument(`channel ${request.channel} is not a known channel`);
      const verification = await service.start(
        {
          phoneNumber: request.phoneNumber,
          defaultCountry: request.defaultCountry || undefined,
          channel,
          idempotencyKey: request.idempotencyKey || undefined,
          clientIp: clientIpOf(context, request.clientIp, policy, "send"),
          locale: request.locale || undefined,
          codeLength: request.codeLength,
          metadata: request.metadata,
        },
        callerSignal(context),
      );
      return { verification: verificationToProto(verification) };
    },

    async check(request, context) {
      const result = await service.check(request.verificationId, request.code, clientIpOf(context, request.clientIp, policy, "check"));
      return { approved: result.approved, verification: verificationToProto(result.verification) };
    },

    async *watch(request, context: HandlerContext) {
      const signal = AbortSignal.any([context.signal, shutdown]);
      // 0 is "not set": start with the snapshot.
      const afterSequence = request.afterSequence > 0n ? Number(request.afterSequence) : undefined;
      for await (const event of service.watch(request.verificationId, signal, afterSequence)) {
        yield { event: eventToProto(event) };
      }
      // Ended without a terminal event: say why, so a client can tell a cut stream from a finished verification.
      if (shutdown.aborted) throw new ConnectError("verifyd is shutting down; resume the Watch on another instance with after_sequence", Code.Unavailable);
      if (deadlinePassed(context.signal.reason)) throw new ConnectError("the Watch reached its deadline; resume it with after_sequence", Code.DeadlineExceeded);
    },

    async resend(request, context) {
      let channel;
      if (request.channel !== undefined) {
        channel = channelFromProto(request.channel);
        if (!channel) throw VerifyError.invalidArgument(`channel ${request.channel} is not a known channel`);
      }
      const verification = await service.resend(request.verificationId, channel, clientIpOf(context, request.clientIp, policy, "send"), callerSignal(context));
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
