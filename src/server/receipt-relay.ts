import type { DeliveryReport, Logger, ReceiptInbox } from "../verification/ports.js";

/**
 * The one receipt inbox of an app, handed to the adapters (the simulator, and
 * any adapter that receives receipts on its own) before the service that
 * applies them exists: adapters are needed to build the gateway the service
 * sends through. It is connected once, right after the service is built and
 * before the port serves; a receipt cannot arrive earlier, since nothing has
 * been sent.
 */
export class ReceiptRelay implements ReceiptInbox {
  #target: ReceiptInbox | undefined;

  constructor(private readonly logger: Logger) {}

  connect(target: ReceiptInbox): void {
    if (this.#target) throw new Error("the receipt relay is already connected");
    this.#target = target;
  }

  report(receipt: DeliveryReport): Promise<void> {
    if (!this.#target) return Promise.reject(new Error("receipts arrived before the service was built"));
    return this.#target.report(receipt);
  }

  /** For adapters that report without waiting: failures are logged here rather than lost. */
  reportDetached(receipt: DeliveryReport): void {
    this.report(receipt).catch((error: unknown) => this.logger.error({ err: error, provider: receipt.provider }, "receipt failed"));
  }
}
