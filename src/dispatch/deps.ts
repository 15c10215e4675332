import type { CodeVault } from "../verification/codes.js";
import type { VerificationPolicy } from "../verification/policy.js";
import type { Clock, Logger, MessageRenderer, ProviderGateway, RouteSource } from "../verification/ports.js";
import type { RecordWriter } from "../verification/record-writer.js";

/** What sending needs: the domain's ports and the write loop, all injected. */
export interface DispatchDeps {
  writer: RecordWriter;
  gateway: ProviderGateway;
  routes: RouteSource;
  vault: CodeVault;
  messages: MessageRenderer;
  policy: VerificationPolicy;
  clock: Clock;
  logger: Logger;
  /** This instance's name on leases. */
  instanceId: string;
  /** How long this instance owns a verification while sending, before another may take over. */
  leaseMs: number;
}
