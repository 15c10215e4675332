import type { ChangeStream, Collection } from "mongodb";
import type { VerificationEvent } from "../../verification/model.js";
import type { Logger } from "../../verification/ports.js";
import { OutageLog } from "../outage-log.js";
import { fromStoredEvent, type StoredEvent, type VerificationDocument } from "./documents.js";

type Listener = (event: VerificationEvent) => void;

interface Subscription {
  /** The last sequence delivered to this verification's listeners. */
  last: number;
  listeners: Set<Listener>;
}

export interface EventFeedOptions {
  verifications: Collection<VerificationDocument>;
  /** How often the documents are read when no change stream tells us what changed. */
  pollIntervalMs: number;
  maxTimeMS: number;
  logger: Logger;
}

/** With a change stream open, a slow poll still runs, in case a notification was missed while the stream resumed. */
const SAFETY_POLL_MS = 2_000;
const CHANGE_STREAM_RETRY_MS = 10_000;
/** Verifications read per query; keeps the `$or` small. */
const POLL_BATCH = 200;

/**
 * Delivers the events of watched verifications, written by this instance or
 * any other. Events live in the verification document itself (written in the
 * same operation as the state change, so none can be lost or reordered); the
 * feed reads the documents of watched verifications, when a change stream
 * says one changed (replica sets and sharded clusters) or every
 * `pollIntervalMs` otherwise, and hands each listener every event after the
 * last one it delivered, once, in sequence order. Events published by this
 * instance are delivered at once, without waiting for the read.
 */
export class EventFeed {
  readonly #options: EventFeedOptions;
  readonly #subscriptions = new Map<string, Subscription>();
  /** Verifications to read on the next pass; "all" on the periodic pass. */
  #dirty: Set<string> | "all" = new Set();
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #changeStream: ChangeStream | undefined;
  #changeStreamRetry: NodeJS.Timeout | undefined;
  /** Reads fail every poll while the database is away: logged once per outage, with a count. */
  readonly #readOutage: OutageLog;
  #closed = false;

  constructor(options: EventFeedOptions) {
    this.#options = options;
    this.#readOutage = new OutageLog(options.logger, { subject: "event feed" });
  }

  /** Whether a change stream is currently telling the feed what changed. */
  get usingChangeStream(): boolean {
    return this.#changeStream !== undefined;
  }

  /** Starts listening; with `changeStreams`, opens a change stream (falling back to polling if it fails). */
  start(changeStreams: boolean): void {
    if (changeStreams) this.#openChangeStream();
    if (this.#subscriptions.size > 0) this.#readSoon("all");
  }

  subscribe(verificationId: string, listener: Listener): () => void {
    let subscription = this.#subscriptions.get(verificationId);
    if (!subscription) {
      // From 0: whatever is already logged is delivered too; a watcher skips what its snapshot covers.
      subscription = { last: 0, listeners: new Set() };
      this.#subscriptions.set(verificationId, subscription);
      this.#readSoon(verificationId);
    }
    const listeners = subscription.listeners;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#subscriptions.get(verificationId)?.listeners === listeners) {
        this.#subscriptions.delete(verificationId);
      }
    };
  }

  /** Events this instance just wrote: delivered now when they follow on, else read in order. */
  offer(events: readonly VerificationEvent[]): void {
    for (const event of events) {
      const subscription = this.#subscriptions.get(event.verificationId);
      if (!subscription || event.sequence <= subscription.last) continue;
      if (event.sequence === subscription.last + 1) this.#deliver(event.verificationId, subscription, event);
      else this.#readSoon(event.verificationId);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#changeStreamRetry) clearTimeout(this.#changeStreamRetry);
    this.#subscriptions.clear();
    await this.#changeStream?.close().catch(() => undefined);
    this.#changeStream = undefined;
    await this.#reading;
  }

  #openChangeStream(): void {
    if (this.#closed || this.#changeStream) return;
    try {
      const stream = this.#options.verifications.watch([{ $match: { operationType: { $in: ["update", "replace"] } } }]);
      stream.on("change", (change) => {
        const id = "documentKey" in change ? (change.documentKey as { _id: string })._id : undefined;
        if (id !== undefined && this.#subscriptions.has(id)) this.#readSoon(id);
      });
      stream.on("error", (error) => {
        // The driver resumes on its own after transient errors; this one it could not. Poll until a new stream opens.
        this.#options.logger.warn({ err: error }, "change stream failed; polling for events");
        if (this.#changeStream === stream) this.#changeStream = undefined;
        void stream.close().catch(() => undefined);
        this.#schedule(0);
        if (!this.#closed) {
          this.#changeStreamRetry = setTimeout(() => this.#openChangeStream(), CHANGE_STREAM_RETRY_MS);
          this.#changeStreamRetry.unref();
        }
      });
      this.#changeStream = stream;
    } catch (error) {
      this.#options.logger.warn({ err: error }, "could not open a change stream; polling for events");
    }
  }

  #readSoon(target: string | "all"): void {
    this.#markDirty(target);
    if (!this.#reading) this.#schedule(0);
  }

  #markDirty(target: string | "all"): void {
    if (this.#dirty === "all") return;
    if (target === "all") this.#dirty = "all";
    else this.#dirty.add(target);
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#reading = this.#read().finally(() => {
        this.#reading = undefined;
        this.#scheduleNext();
      });
    }, delayMs);
    this.#timer.unref();
  }

  #scheduleNext(): void {
    if (this.#closed) return;
    if (this.#dirty === "all" || this.#dirty.size > 0) {
      this.#schedule(0);
      return;
    }
    if (this.#subscriptions.size === 0) return;
    const interval = this.#changeStream ? Math.max(SAFETY_POLL_MS, this.#options.pollIntervalMs) : this.#options.pollIntervalMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#readSoon("all");
    }, interval);
    this.#timer.unref();
  }

  async #read(): Promise<void> {
    const dirty = this.#dirty;
    this.#dirty = new Set();
    const ids = dirty === "all" ? [...this.#subscriptions.keys()] : [...dirty].filter((id) => this.#subscriptions.has(id));
    for (let start = 0; start < ids.length; start += POLL_BATCH) {
      const batch = ids.slice(start, start + POLL_BATCH);
      const filter = {
        $or: batch.map((id) => ({ _id: id, sequence: { $gt: this.#subscriptions.get(id)?.last ?? 0 } })),
      };
      let documents: Array<Pick<VerificationDocument, "_id" | "events">>;
      try {
        documents = await this.#options.verifications.find(filter, { projection: { events: 1 }, maxTimeMS: this.#options.maxTimeMS }).toArray();
      } catch (error) {
        // The database is away: keep the ids for the next pass, which runs at the poll interval.
        for (const id of ids.slice(start)) this.#markDirty(id);
        this.#readOutage.failed(error, "could not read events; retrying");
        await new Promise((resolve) => setTimeout(resolve, this.#options.pollIntervalMs).unref());
        return;
      }
      this.#readOutage.succeeded();
      for (const document of documents) {
        const subscription = this.#subscriptions.get(document._id);
        if (!subscription) continue;
        const events = [...(document.events ?? [])].sort((a, b) => a.sequence - b.sequence);
        for (const stored of events) {
          if (stored.sequence <= subscription.last) continue;
          this.#deliver(document._id, subscription, fromStoredEvent(document._id, stored as StoredEvent));
        }
      }
    }
  }

  #deliver(verificationId: string, subscription: Subscription, event: VerificationEvent): void {
    subscription.last = event.sequence;
    for (const listener of [...subscription.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#options.logger.warn({ err: error, verificationId }, "event listener failed");
      }
    }
  }
}
