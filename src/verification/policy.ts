/** The knobs of a verification's life, from the `policy` and `messages` config. */
export interface VerificationPolicy {
  codeLength: number;
  codeTtlMs: number;
  /** How long an accepted message may go without a receipt before slow failover. */
  deliveryWindowMs: number;
  maxCheckAttempts: number;
  resendMinIntervalMs: number;
  /** Switch channel by itself when one runs out, instead of offering the others. */
  autoEscalate: boolean;
  defaultLocale: string;
  brand: string;
}
