/** Collects a Watch stream's events as they arrive, from a Connect client or from grpc-js. */
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import type { EventType, VerificationEvent, WatchResponse } from "../../gen/verify/v1/verify_pb.js";

export type WatchOutcome = { ok: true } | { ok: false; error: unknown };

export class WatchRecorder {
  readonly events: VerificationEvent[] = [];
  /** Settles when the stream ends: `ok` for a clean end, else the error. */
  readonly outcome: Promise<WatchOutcome>;
  #settled = false;
  readonly #waiters = new Set<() => void>();

  private constructor(run: (push: (event: VerificationEvent) => void) => Promise<void>) {
    this.outcome = run((event) => {
      this.events.push(event);
      this.#notify();
    }).then(
      () => ({ ok: true as const }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    void this.outcome.then(() => {
      this.#settled = true;
      this.#notify();
    });
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter();
    this.#waiters.clear();
  }

  static connect(stream: AsyncIterable<WatchResponse>): WatchRecorder {
    return new WatchRecorder(async (push) => {
      for await (const response of stream) push(requireEvent(response));
    });
  }

  static grpcJs(call: grpc.ClientReadableStream<WatchResponse>): WatchRecorder {
    return new WatchRecorder(
      (push) =>
        new Promise<void>((resolve, reject) => {
          call.on("data", (response: WatchResponse) => push(requireEvent(response)));
          call.on("error", reject);
          call.on("status", (status: grpc.StatusObject) => {
            if (status.code === grpc.status.OK) resolve();
          });
        }),
    );
  }

  get types(): EventType[] {
    return this.events.map((event) => event.type);
  }

  /** Waits until an event of `type` has arrived, and returns it. */
  async waitFor(type: EventType, timeoutMs = 5000): Promise<VerificationEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((event) => event.type === type);
      if (found) return found;
      if (this.#settled) throw new Error(`watch ended without a ${type} event; saw ${this.types.join(", ")}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no ${type} event within ${timeoutMs}ms; saw ${this.types.join(", ")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the stream to end, failing the test if it does not within `timeoutMs`. */
  async ended(timeoutMs = 5000): Promise<WatchOutcome> {
    const timeout = sleep(timeoutMs).then(() => {
      throw new Error(`watch did not end within ${timeoutMs}ms; saw ${this.types.join(", ")}`);
    });
    return Promise.race([this.outcome, timeout]);
  }
}

function requireEvent(response: WatchResponse): VerificationEvent {
  if (!response.event) throw new Error("a WatchResponse without an event");
  return response.event;
}
