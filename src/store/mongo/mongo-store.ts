import { type Collection, type Db, MongoClient } from "mongodb";
import type { VerificationEvent, VerificationRecord } from "../../verification/model.js";
import type { Logger, VerificationPage, VerificationQuery } from "../../verification/ports.js";
import { DuplicateKeyError, type VerificationStore } from "../../verification/ports.js";
import { type ConditionalWriter, type FenceDocument, FencedWriter, ServerConditionalWriter } from "./conditional-writes.js";
import { fromDocument, fromStoredEvent, providerMessageKey, type RecordChange, replacementChange, toDocument, type VerificationDocument } from "./documents.js";
import { isDuplicateKeyError, toStoreError, uniqueFieldTaken } from "./errors.js";
import { EventFeed } from "./event-feed.js";
import { COLLECTIONS, ensureIndexes } from "./indexes.js";
import { listVerifications } from "./list-verifications.js";
import { PurgeLoop } from "./purge-loop.js";
import { heartbeatSettings, ServerMonitor } from "./server-monitor.js";
import { setUpOnce } from "./set-up-once.js";

export type WriteMode = "auto" | "conditional" | "fenced";

export interface MongoStoreOptions {
  uri: string;
  database: string;
  /** How long finished and expired verifications are kept, in ms. */
  retentionMs: number;
  /** `w` of every write; "majority" survives the loss of the primary. */
  writeConcern?: "majority" | number;
  timeouts?: {
    /** How long an operation waits for a usable server (the database is down: UNAVAILABLE after this). */
    serverSelectionMs?: number;
    connectMs?: number;
    /** Server-side limit on every operation (maxTimeMS); the socket gives up a little after it. */
    operationMs?: number;
  };
  /**
   * How often the driver checks each server (heartbeatFrequencyMS); readiness
   * follows its view, so a stopped database reads not ready within about this.
   */
  heartbeatIntervalMs?: number;
  /** How often watched verifications are read for events when there are no change streams. */
  eventPollIntervalMs?: number;
  /** How often expired documents are deleted when the server has no TTL indexes (FerretDB); 0 turns it off. */
  purgeIntervalMs?: number;
  /** "auto" uses fenced writes on FerretDB, whose conditional updates are not atomic, and plain ones elsewhere. */
  writeMode?: WriteMode;
  now?: () => number;
  logger?: Logger;
}

const NO_EVENTS = { events: 0 } as const;

const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The store for several instances sharing one MongoDB database. Every write
 * is one conditional operation on the record's version; timers are claimed
 * with a conditional update that takes a lease; events travel inside the
 * verification document. Driver and network failures surface as
 * VerifyError("unavailable"), so callers answer UNAVAILABLE and retry, and the
 * driver reconnects by itself when the database returns.
 */
export class MongoStore implements VerificationStore {
  /** The driver client, shared with the rate limiters so they use the same pool and settings. */
  readonly client: MongoClient;
  readonly db: Db;
  readonly #verifications: Collection<VerificationDocument>;
  readonly #fences: Collection<FenceDocument>;
  readonly #options: Required<Omit<MongoStoreOptions, "timeouts" | "logger">>;
  readonly #maxTimeMS: number;
  readonly #logger: Logger;
  readonly #feed: EventFeed;
  readonly #monitor: ServerMonitor;
  #writer: ConditionalWriter | undefined;
  readonly #ensureSetUp = setUpOnce(() => this.#setUp());
  #purgeLoop: PurgeLoop | undefined;
  #ttlIndexes: boolean | undefined;
  #closed = false;

  constructor(options: MongoStoreOptions) {
    const timeouts = { serverSelectionMs: 2_000, connectMs: 2_000, operationMs: 3_000, ...options.timeouts };
    this.#options = {
      writeConcern: "majority",
      eventPollIntervalMs: 150,
      purgeIntervalMs: 60_000,
      heartbeatIntervalMs: 500,
      writeMode: "auto",
      now: Date.now,
      ...options,
    };
    this.#maxTimeMS = timeouts.operationMs;
    this.#logger = options.logger ?? silentLogger;
    this.client = new MongoClient(options.uri, {
      appName: "verifyd",
      serverSelectionTimeoutMS: timeouts.serverSelectionMs,
      connectTimeoutMS: timeouts.connectMs,
      // A server that stops answering mid-operation: give up shortly after maxTimeMS would have.
      socketTimeoutMS: timeouts.operationMs + 2_000,
      writeConcern: { w: this.#options.writeConcern, wtimeoutMS: timeouts.operationMs },
      retryWrites: true,
      retryReads: true,
      ignoreUndefined: true,
      ...heartbeatSettings(this.#options.heartbeatIntervalMs),
    });
    this.#monitor = new ServerMonitor(this.client, this.#logger);
    this.db = this.client.db(options.database);
    this.#verifications = this.db.collection<VerificationDocument>(COLLECTIONS.verifications);
    this.#fences = this.db.collection<FenceDocument>(COLLECTIONS.fences);
    this.#feed = new EventFeed({
      verifications: this.#verifications,
      pollIntervalMs: this.#options.eventPollIntervalMs,
      maxTimeMS: this.#maxTimeMS,
      logger: this.#logger,
    });
  }

  /** Prepares the database now (indexes, server capabilities); operations wait for it anyway, and retry it while it fails. */
  async start(): Promise<void> {
    try {
      await this.#ensureSetUp();
    } catch (error) {
      this.#logger.warn({ err: error }, "database not reachable yet; verifyd reports not ready and keeps trying");
    }
  }

  /** How conditional writes are made, once known ("fenced" on FerretDB). */
  get writeMode(): "conditional" | "fenced" | undefined {
    return this.#writer?.mode;
  }

  /** Whether the server deletes expired documents itself; without, this store's purge loop does. */
  get ttlIndexes(): boolean | undefined {
    return this.#ttlIndexes;
  }

  /**
   * Resolves once the database is set up (connected, indexes made); rejects
   * while it is unreachable, and tries again on the next call. For helpers
   * that share the store's client (score-stats.ts).
   */
  whenSetUp(): Promise<void> {
    return this.#ensureSetUp();
  }

  get usingChangeStream(): boolean {
    return this.#feed.usingChangeStream;
  }

  async insert(record: VerificationRecord): Promise<void> {
    await this.#run("insert", async () => {
      try {
        await this.#verifications.insertOne({ ...toDocument(record, record.version, this.#options.retentionMs), events: [] }, { maxTimeMS: this.#maxTimeMS });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        throw new DuplicateKeyError(await uniqueFieldTaken(this.#verifications, error, record, this.#maxTimeMS));
      }
    });
  }

  async get(id: string): Promise<VerificationRecord | undefined> {
    return this.#run("get", async (writer) => {
      const reread = () => this.#verifications.findOne({ _id: id }, { projection: NO_EVENTS, maxTimeMS: this.#maxTimeMS });
      const found = await reread();
      const settled = found && (await writer.settle(found, reread));
      return settled ? fromDocument(settled) : undefined;
    });
  }

  async findActiveByPhone(phoneNumber: string): Promise<VerificationRecord | undefined> {
    return this.#findOneBy("findActiveByPhone", { activePhoneNumber: phoneNumber }, (document) => document.activePhoneNumber === phoneNumber);
  }

  async findByIdempotencyKey(key: string): Promise<VerificationRecord | undefined> {
    return this.#findOneBy("findByIdempotencyKey", { idempotencyKey: key }, (document) => document.idempotencyKey === key);
  }

  async findByProviderMessageId(provider: string, providerMessageId: string): Promise<VerificationRecord | undefined> {
    const key = providerMessageKey(provider, providerMessageId);
    return this.#findOneBy("findByProviderMessageId", { providerMessageKeys: key }, (document) => document.providerMessageKeys.includes(key));
  }

  async replace(record: VerificationRecord, expectedVersion: number, events: readonly VerificationEvent[] = []): Promise<VerificationRecord | undefined> {
    return this.#run("replace", async (writer) => {
      const change = replacementChange(record, expectedVersion + 1, this.#options.retentionMs, events);
      try {
        if (!(await writer.apply(record.id, expectedVersion, change))) return undefined;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        throw new DuplicateKeyError(await uniqueFieldTaken(this.#verifications, error, record, this.#maxTimeMS));
      }
      return { ...record, version: expectedVersion + 1 };
    });
  }

  async claimDue(now: number, owner: string, leaseMs: number, limit: number): Promise<VerificationRecord[]> {
    return this.#run("claimDue", async (writer) => {
      const lease = { owner, until: now + leaseMs };
      const claimed: VerificationRecord[] = [];
      if (writer.mode === "conditional") {
        // One atomic find-and-modify per record: a record due now and not leased gets this lease, and nobody else can take it.
        while (claimed.length < limit) {
          const document = await this.#verifications.findOneAndUpdate(
            { wakeAt: { $lte: now } },
            // wakeAt <= now means dueAt <= now, so the later of the two is the lease's end.
            { $set: { lease, wakeAt: lease.until }, $inc: { version: 1 } },
            { sort: { wakeAt: 1 }, returnDocument: "after", maxTimeMS: this.#maxTimeMS },
          );
          if (!document) break;
          claimed.push(fromDocument(document));
        }
        return claimed;
      }
      const candidates = await this.#verifications
        .find({ wakeAt: { $lte: now } }, { projection: NO_EVENTS, sort: { wakeAt: 1 }, limit, maxTimeMS: this.#maxTimeMS })
        .toArray();
      for (const candidate of candidates) {
        const change: RecordChange = { set: { lease, wakeAt: lease.until, version: candidate.version + 1 }, unset: [], pushEvents: [] };
        // Another instance that read the same candidate loses here, and moves on to the next.
        if (await writer.apply(candidate._id, candidate.version, change)) {
          claimed.push({ ...fromDocument(candidate), lease, version: candidate.version + 1 });
        }
      }
      return claimed;
    });
  }

  /** The events are already stored (replace wrote them with the record); this hands them to this instance's watchers now. */
  async publish(events: readonly VerificationEvent[]): Promise<void> {
    this.#feed.offer(events);
  }

  subscribe(verificationId: string, listener: (event: VerificationEvent) => void): () => void {
    return this.#feed.subscribe(verificationId, listener);
  }

  async readEvents(verificationId: string, afterSequence: number): Promise<VerificationEvent[]> {
    return this.#run("readEvents", async (writer) => {
      const reread = () =>
        this.#verifications.findOne<Pick<VerificationDocument, "_id" | "version" | "events">>(
          { _id: verificationId },
          { projection: { events: 1, version: 1 }, maxTimeMS: this.#maxTimeMS },
        );
      const found = await reread();
      const settled = found && (await writer.settle(found, reread));
      return (settled?.events ?? [])
        .filter((event) => event.sequence > afterSequence)
        .sort((a, b) => a.sequence - b.sequence)
        .map((event) => fromStoredEvent(verificationId, event));
    });
  }

  async listVerifications(query: VerificationQuery): Promise<VerificationPage> {
    return this.#run("listVerifications", (writer) => listVerifications(this.#verifications, writer, query, this.#maxTimeMS));
  }

  /**
   * Whether the driver sees a server that takes writes (ServerMonitor), which
   * it updates within a heartbeat; answers at once, without a round trip.
   * Before the first successful set-up (the database was away at start-up)
   * it answers false and tries the set-up again in the background: a probe,
   * like any request, brings a database that came up late into use.
   */
  async ready(): Promise<boolean> {
    if (this.#closed) return false;
    if (!this.#writer) {
      this.#ensureSetUp().catch(() => undefined);
      return false;
    }
    return this.#monitor.writable;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#purgeLoop?.stop();
    await this.#feed.close();
    await this.client.close();
  }

  /**
   * Deletes what a TTL index would have: verifications past their purge time,
   * spent fences, lapsed rate-limit windows and scoring buckets out of every
   * window. Runs by itself only where the server has no TTL indexes.
   */
  async purge(): Promise<number> {
    return this.#run("purge", async () => {
      const now = new Date(this.#options.now());
      const options = { maxTimeMS: this.#maxTimeMS };
      const results = await Promise.all([
        this.#verifications.deleteMany({ purgeAt: { $lte: now } }, options),
        this.#fences.deleteMany({ purgeAt: { $lte: now } }, options),
        this.db.collection(COLLECTIONS.rateLimits).deleteMany({ expire: { $lte: new Date() } }, options),
        this.db.collection(COLLECTIONS.providerStats).deleteMany({ expireAt: { $lte: now } }, options),
      ]);
      return results[0].deletedCount;
    });
  }

  async #findOneBy(
    operation: string,
    filter: Record<string, unknown>,
    stillMatches: (document: VerificationDocument) => boolean,
  ): Promise<VerificationRecord | undefined> {
    return this.#run(operation, async (writer) => {
      const found = await this.#verifications.findOne(filter, { projection: NO_EVENTS, maxTimeMS: this.#maxTimeMS });
      if (!found) return undefined;
      const settled = await writer.settle(found, () => this.#verifications.findOne({ _id: found._id }, { projection: NO_EVENTS, maxTimeMS: this.#maxTimeMS }));
      return settled && stillMatches(settled) ? fromDocument(settled) : undefined;
    });
  }

  async #run<T>(operation: string, body: (writer: ConditionalWriter) => Promise<T>): Promise<T> {
    try {
      await this.#ensureSetUp();
      return await body(this.#writer!);
    } catch (error) {
      throw toStoreError(error, operation);
    }
  }

  async #setUp(): Promise<void> {
    const maxTimeMS = this.#maxTimeMS;
    // Explicitly: after a failed first connection the driver's implicit connect leaves the client closed for good.
    await this.client.connect();
    const hello = await this.db.command({ hello: 1 });
    const buildInfo = await this.db.command({ buildInfo: 1 });
    const ferretdb = typeof buildInfo.ferretdbVersion === "string";
    const { ttl } = await ensureIndexes(this.db, maxTimeMS);
    const mode = this.#options.writeMode === "auto" ? (ferretdb ? "fenced" : "conditional") : this.#options.writeMode;
    this.#writer =
      mode === "fenced"
        ? new FencedWriter(this.#verifications, this.#fences, maxTimeMS, this.#options.now)
        : new ServerConditionalWriter(this.#verifications, maxTimeMS);
    this.#ttlIndexes = ttl;
    // Change streams need a replica set or a sharded cluster (FerretDB v1 has none).
    const changeStreams = !ferretdb && (typeof hello.setName === "string" || hello.msg === "isdbgrid");
    this.#feed.start(changeStreams);
    if (!ttl && this.#options.purgeIntervalMs > 0 && !this.#purgeLoop) {
      this.#purgeLoop = new PurgeLoop(() => this.purge(), this.#options.purgeIntervalMs, this.#logger);
    }
    this.#logger.info(
      {
        server: ferretdb ? `FerretDB ${buildInfo.ferretdbVersion}` : `MongoDB ${buildInfo.version}`,
        writeMode: mode,
        ttlIndexes: ttl,
        events: changeStreams ? "change streams" : `polling every ${this.#options.eventPollIntervalMs}ms`,
      },
      "database ready",
    );
  }
}
