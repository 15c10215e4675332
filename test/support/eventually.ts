import { setTimeout as sleep } from "node:timers/promises";

export interface EventuallyOptions {
  /** How long to keep trying; 5 s unless a test waits on something slower. */
  timeoutMs?: number;
  /** The pause between tries. */
  intervalMs?: number;
}

/**
 * Retries `assertion` until it stops throwing, and returns what it returned;
 * once `timeoutMs` has run out, throws its last failure, so the test reports
 * what was still wrong rather than a bare timeout.
 *
 * @example
 * const record = await eventually(async () => {
 *   const { verification } = await client.get({ verificationId });
 *   expect(verification?.status).toBe(VerificationStatus.DELIVERED);
 *   return verification!;
 * });
 */
export async function eventually<T>(assertion: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> {
  const { timeoutMs = 5_000, intervalMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(intervalMs);
    }
  }
}
