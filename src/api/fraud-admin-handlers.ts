import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Block,
  BlockSchema,
  BlockScope,
  type ExplainRiskRequest,
  type ExplainRiskResponse,
  ExplainRiskResponseSchema,
  FraudMode,
  GuardDecision,
  GuardVerdictSchema,
  type ListBlocksResponse,
  ListBlocksResponseSchema,
  type UnblockRequest,
  type UnblockResponse,
  UnblockResponseSchema,
} from "../../gen/verify/admin/v1/admin_pb.js";
import { figureStrings } from "../fraud/decision.js";
import { describeDecision } from "../fraud/describe.js";
import type { FraudGuard } from "../fraud/fraud-guard.js";
import type { FraudMode as DomainMode, BlockScope as DomainScope } from "../fraud/settings.js";
import type { StoredBlock } from "../fraud/state.js";
import { VerifyError } from "../verification/errors.js";
import { parsePhone } from "../verification/phone.js";
import type { RouteSource } from "../verification/ports.js";
import { validateClientIp } from "../verification/validation.js";
import { channelFromProto, channelToProto } from "./to-proto.js";

export interface FraudAdminDeps {
  fraud: FraudGuard;
  routes: Pick<RouteSource, "otherRoutableChannels">;
  /** test_numbers, as configured (E.164). */
  testNumbers: ReadonlySet<string>;
}

const MODE: Record<DomainMode, FraudMode> = { enforce: FraudMode.ENFORCE, monitor: FraudMode.MONITOR, off: FraudMode.OFF };
const SCOPE: Record<DomainScope, BlockScope> = { prefix: BlockScope.PREFIX, country: BlockScope.COUNTRY };

/** The fraud guard's part of verify.admin.v1.AdminService: ExplainRisk, ListBlocks, Unblock. */
export function fraudAdminMethods(deps: FraudAdminDeps) {
  return {
    async explainRisk(request: ExplainRiskRequest): Promise<ExplainRiskResponse> {
      const channel = channelFromProto(request.channel);
      if (!channel) throw VerifyError.invalidArgument(`channel ${request.channel} is not a known channel`);
      const clientIp = validateClientIp(request.clientIp || undefined) ?? "";
      const mode = MODE[deps.fraud.settings.mode];
      const written = request.phoneNumber.trim();
      if (deps.testNumbers.has(written)) {
        return create(ExplainRiskResponseSchema, { phoneNumber: written, channel: channelToProto(channel), mode, allowed: true, testNumber: true, clientIp });
      }
      const phone = parsePhone(request.phoneNumber, request.defaultCountry || undefined);
      const alternatives = () => deps.routes.otherRoutableChannels(phone.country, channel);
      const assessment = await deps.fraud.explain({ phoneNumber: phone.e164, country: phone.country, channel, alternatives });
      return create(ExplainRiskResponseSchema, {
        phoneNumber: phone.e164,
        country: phone.country,
        channel: channelToProto(channel),
        mode,
        allowed: deps.fraud.settings.mode === "off" || assessment.refusal === undefined,
        numberType: assessment.facts.numberType() ?? "UNKNOWN",
        prefix: assessment.facts.prefix,
        allowListed: assessment.allowListed,
        verdicts: assessment.decisions.map((decision) =>
          create(GuardVerdictSchema, {
            guard: decision.guard,
            decision: decision.decision === "allow" ? GuardDecision.ALLOW : GuardDecision.BLOCK,
            reason: decision.reason,
            figures: figureStrings(decision.figures),
            explanation: describeDecision(decision),
          }),
        ),
        allowedChannels: assessment.allowedChannels.map(channelToProto),
        clientIp,
      });
    },

    async listBlocks(): Promise<ListBlocksResponse> {
      return create(ListBlocksResponseSchema, { blocks: (await deps.fraud.listBlocks()).map(blockToProto) });
    },

    async unblock(request: UnblockRequest): Promise<UnblockResponse> {
      const scope = request.scope === BlockScope.PREFIX ? "prefix" : request.scope === BlockScope.COUNTRY ? "country" : undefined;
      if (!scope) throw VerifyError.invalidArgument("scope must be BLOCK_SCOPE_PREFIX or BLOCK_SCOPE_COUNTRY");
      if (request.key.trim() === "") throw VerifyError.invalidArgument("key is required: the prefix (e.g. +1202555) or the country (e.g. US)");
      return create(UnblockResponseSchema, { block: blockToProto(await deps.fraud.unblock(scope, request.key.trim())) });
    },
  };
}

function blockToProto(block: StoredBlock): Block {
  return create(BlockSchema, {
    scope: SCOPE[block.scope],
    key: block.key,
    country: block.country,
    reason: block.reason,
    figures: figureStrings(block.figures),
    since: timestampFromMs(block.since),
    until: timestampFromMs(block.until),
    level: block.level,
  });
}
