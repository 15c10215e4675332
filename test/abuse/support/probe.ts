/**
 * The bystander every abuse test keeps an eye on: a gRPC client on a
 * connection of its own, opened before the attack, calling Check in a loop.
 * Whatever the attack, this caller must keep getting answers.
 */
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { VerificationService } from "../../../gen/verify/v1/verify_pb.js";

export interface ProbeStats {
  /** Checks answered. */
  answered: number;
  /** Checks that failed or timed out, with why. */
  failures: string[];
  p50: number;
  p99: number;
  max: number;
}

export interface ProbeOptions {
  /** The URL the probe connects to; "https://…" needs `nodeOptions` with the CA. */
  url: string;
  /** The number the probe starts its verification on; one per server. */
  phoneNumber?: string;
  /** Pause between Checks. */
  intervalMs?: number;
  /** A Check not answered within this is a failure. */
  timeoutMs?: number;
  /** TLS options for the probe's connection (ca, cert, key). */
  tls?: { ca?: string; cert?: string; key?: string };
}

export class CheckProbe {
  readonly #latencies: number[] = [];
  readonly #failures: string[] = [];
  #running = true;
  #loop: Promise<void> | undefined;

  private constructor(
    readonly client: Client<typeof VerificationService>,
    readonly session: Http2SessionManager,
    readonly verificationId: string,
  ) {}

  /** Connects, starts a verification (so Check has something real to check) and begins checking it. */
  static async start(options: ProbeOptions): Promise<CheckProbe> {
    const session = new Http2SessionManager(options.url, {}, options.tls);
    const client = createClient(VerificationService, createGrpcTransport({ baseUrl: options.url, sessionManager: session }));
    const { verification } = await client.start({ phoneNumber: options.phoneNumber ?? "+12025550177" }, { timeoutMs: 5_000 });
    const probe = new CheckProbe(client, session, verification!.id);
    probe.#loop = probe.#run(options.intervalMs ?? 20, options.timeoutMs ?? 5_000);
    return probe;
  }

  /** One Check now, timed; the milliseconds it took (throws when it fails). */
  async checkOnce(timeoutMs = 5_000): Promise<number> {
    const began = performance.now();
    // A wrong code: every Check is answered (CHECK_FAILED, then LOCKED), none ends the verification.
    await this.client.check({ verificationId: this.verificationId, code: "000000" }, { timeoutMs });
    return performance.now() - began;
  }

  async #run(intervalMs: number, timeoutMs: number): Promise<void> {
    while (this.#running) {
      try {
        this.#latencies.push(await this.checkOnce(timeoutMs));
      } catch (error) {
        this.#failures.push(String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** Figures so far, without stopping. */
  stats(): ProbeStats {
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
    return { answered: sorted.length, failures: [...this.#failures], p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
  }

  /** Stops checking, closes the probe's connection, and gives the figures. */
  async stop(): Promise<ProbeStats> {
    this.#running = false;
    await this.#loop;
    this.session.abort();
    return this.stats();
  }
}
