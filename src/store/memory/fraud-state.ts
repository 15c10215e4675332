import type { BlockScope } from "../../fraud/settings.js";
import type { CounterIncrement, FraudSnapshot, FraudState, FraudWindows, ProvenBefore, StoredBlock } from "../../fraud/state.js";
import { type Bucket, emptyBucket, type WindowShape } from "../../fraud/window.js";

/**
 * Prefixes (and countries) tracked at most, by default. Each costs a few
 * hundred bytes (bench/pumping.ts reports the figure), so the default bounds
 * the guard's memory at some tens of MiB; past it the least recently written
 * scope is forgotten.
 */
export const DEFAULT_MAX_SCOPES = 200_000;

/**
 * A fixed ring of time buckets in an Int32Array (from `offset`): per slot its
 * bucket number (relative to an origin, so it fits 32 bits; 0 marks an empty
 * slot) and `fields` counts. A prefix's two rings share one array, so its
 * state is a few hundred bytes whatever its traffic.
 */
class BucketRing {
  readonly #shape: WindowShape;
  readonly #fields: number;
  readonly #slots: number;
  readonly #origin: number;
  readonly #data: Int32Array;
  readonly #offset: number;

  constructor(shape: WindowShape, fields: number, origin: number, data?: Int32Array, offset = 0) {
    this.#shape = shape;
    this.#fields = fields;
    this.#slots = slotsFor(shape);
    this.#origin = origin;
    this.#data = data ?? new Int32Array(BucketRing.size(shape, fields));
    this.#offset = offset;
  }

  /** The Int32Array length a ring of this shape and fields takes. */
  static size(shape: WindowShape, fields: number): number {
    return slotsFor(shape) * (fields + 1);
  }

  /** Adds up to four counts (by field) to the bucket of `at`; plain arguments, so a Start allocates no array for it. */
  add(at: number, v0: number, v1 = 0, v2 = 0, v3 = 0): void {
    const number = Math.floor(at / this.#shape.bucketMs) - this.#origin;
    const fields = this.#fields;
    const base = this.#offset + (number % this.#slots) * (fields + 1);
    const data = this.#data;
    const held = data[base]!;
    // A slot holding a newer bucket is not rolled back for a late increment from a bucket already out of every window.
    if (held > number) return;
    if (held !== number) {
      data.fill(0, base, base + fields + 1);
      data[base] = number;
    }
    data[base + 1] = data[base + 1]! + v0;
    if (fields > 1) data[base + 2] = data[base + 2]! + v1;
    if (fields > 2) data[base + 3] = data[base + 3]! + v2;
    if (fields > 3) data[base + 4] = data[base + 4]! + v3;
  }

  /** The buckets in use; `names` maps fields to Bucket counts. */
  buckets(names: ReadonlyArray<keyof Omit<Bucket, "start">>): Bucket[] {
    const out: Bucket[] = [];
    for (let slot = 0; slot < this.#slots; slot++) {
      const base = this.#offset + slot * (this.#fields + 1);
      const number = this.#data[base]!;
      if (number === 0) continue;
      const bucket = emptyBucket((number + this.#origin) * this.#shape.bucketMs);
      for (let field = 0; field < names.length; field++) bucket[names[field]!] = this.#data[base + 1 + field]!;
      out.push(bucket);
    }
    return out;
  }

  /** The end of the newest bucket written, epoch ms (0 when none). */
  get newestEnd(): number {
    let newest = 0;
    for (let slot = 0; slot < this.#slots; slot++) newest = Math.max(newest, this.#data[this.#offset + slot * (this.#fields + 1)]!);
    return newest === 0 ? 0 : (newest + this.#origin + 1) * this.#shape.bucketMs;
  }
}

interface PrefixEntry {
  velocity: BucketRing;
  conversion: BucketRing;
  lastVerifiedAt?: number;
  provenSince?: number;
}

const VELOCITY_FIELDS = ["sends"] as const;
const PREFIX_FIELDS = ["sends", "verified"] as const;
const COUNTRY_FIELDS = ["sends", "verified", "newSends", "newVerified"] as const;

/**
 * The guard's state for one instance (the memory store): rings per prefix
 * and country, blocks in a map. Bounded: idle scopes are swept once per
 * conversion window, and past `maxScopes` the least recently written goes.
 */
export class MemoryFraudState implements FraudState {
  readonly #windows: FraudWindows;
  readonly #maxScopes: number;
  readonly #now: () => number;
  readonly #origin: { velocity: number; conversion: number };
  /** Insertion order is write recency: an entry written is moved to the end. */
  readonly #prefixes = new Map<string, PrefixEntry>();
  readonly #countries = new Map<string, BucketRing>();
  readonly #blocks = new Map<string, StoredBlock>();
  /** The same blocks by bare key, per scope: a Start's lookups build no "scope:key" string. */
  readonly #blocksByScope: Record<BlockScope, Map<string, StoredBlock>> = { prefix: new Map(), country: new Map() };
  #lastSweep: number;

  constructor(windows: FraudWindows, options: { now: () => number; maxScopes?: number }) {
    this.#windows = windows;
    this.#maxScopes = options.maxScopes ?? DEFAULT_MAX_SCOPES;
    this.#now = options.now;
    this.#lastSweep = options.now();
    // Bucket numbers are kept relative to a point a billion buckets back, so they stay positive and within 32 bits.
    const origin = (shape: WindowShape) => Math.floor(this.#lastSweep / shape.bucketMs) - 1_000_000_000;
    this.#origin = { velocity: origin(windows.velocity), conversion: origin(windows.conversion) };
  }

  /** Prefixes tracked now (for the benchmark's bytes per prefix). */
  get trackedPrefixes(): number {
    return this.#prefixes.size;
  }

  /** Answered at once (no promise): a Start on the memory store awaits nothing to be judged. */
  snapshot(prefix: string, country: string, _now: number): FraudSnapshot {
    const entry = this.#prefixes.get(prefix);
    return {
      velocity: entry?.velocity.buckets(VELOCITY_FIELDS) ?? [],
      prefix: { buckets: entry?.conversion.buckets(PREFIX_FIELDS) ?? [], block: this.#blocksByScope.prefix.get(prefix), lastVerifiedAt: entry?.lastVerifiedAt },
      country: { buckets: this.#countries.get(country)?.buckets(COUNTRY_FIELDS) ?? [], block: this.#blocksByScope.country.get(country) },
    };
  }

  async add(increments: readonly CounterIncrement[]): Promise<void> {
    let entryKey: string | undefined;
    let entry: PrefixEntry | undefined;
    for (const increment of increments) {
      const { at } = increment;
      if (increment.kind === "country") {
        this.#country(increment.key).add(at, increment.sends ?? 0, increment.verified ?? 0, increment.newSends ?? 0, increment.newVerified ?? 0);
        continue;
      }
      // A send's velocity and conversion increments are for one prefix: look it up (and move it in the recency order) once.
      if (entry === undefined || entryKey !== increment.key) {
        entryKey = increment.key;
        entry = this.#prefix(increment.key);
      }
      if (increment.kind === "velocity") entry.velocity.add(at, increment.sends ?? 0);
      else entry.conversion.add(at, increment.sends ?? 0, increment.verified ?? 0);
    }
    this.#bound();
  }

  async markVerified(prefix: string, at: number, windowMs: number): Promise<ProvenBefore> {
    const entry = this.#prefix(prefix);
    const before = { lastVerifiedAt: entry.lastVerifiedAt, provenSince: entry.provenSince };
    if (entry.lastVerifiedAt === undefined || entry.lastVerifiedAt <= at - windowMs) entry.provenSince = at;
    entry.lastVerifiedAt = Math.max(at, entry.lastVerifiedAt ?? at);
    return before;
  }

  async putBlock(block: StoredBlock): Promise<void> {
    this.#blocks.set(`${block.scope}:${block.key}`, block);
    this.#blocksByScope[block.scope].set(block.key, block);
  }

  async activeBlocks(now: number): Promise<StoredBlock[]> {
    return [...this.#blocks.values()].filter((block) => block.until > now);
  }

  async clear(scope: BlockScope, key: string): Promise<StoredBlock | undefined> {
    const block = this.#blocks.get(`${scope}:${key}`);
    this.#blocks.delete(`${scope}:${key}`);
    this.#blocksByScope[scope].delete(key);
    if (scope === "prefix") this.#prefixes.delete(key);
    else this.#countries.delete(key);
    return block;
  }

  async close(): Promise<void> {
    this.#prefixes.clear();
    this.#countries.clear();
    this.#blocks.clear();
    this.#blocksByScope.prefix.clear();
    this.#blocksByScope.country.clear();
  }

  #prefix(prefix: string): PrefixEntry {
    let entry = this.#prefixes.get(prefix);
    if (entry) {
      // Move to the end: the map's order is recency of writes.
      this.#prefixes.delete(prefix);
    } else {
      const { velocity, conversion } = this.#windows;
      const velocitySize = BucketRing.size(velocity, 1);
      const data = new Int32Array(velocitySize + BucketRing.size(conversion, PREFIX_FIELDS.length));
      entry = {
        velocity: new BucketRing(velocity, 1, this.#origin.velocity, data, 0),
        conversion: new BucketRing(conversion, PREFIX_FIELDS.length, this.#origin.conversion, data, velocitySize),
      };
    }
    this.#prefixes.set(prefix, entry);
    return entry;
  }

  #country(country: string): BucketRing {
    let ring = this.#countries.get(country);
    if (!ring) {
      const { conversion } = this.#windows;
      ring = new BucketRing(conversion, COUNTRY_FIELDS.length, this.#origin.conversion);
      this.#countries.set(country, ring);
    }
    return ring;
  }

  /** Forgets idle scopes once per conversion window, and the least recently written past the bound. */
  #bound(): void {
    const now = this.#now();
    const { conversion } = this.#windows;
    if (now - this.#lastSweep >= conversion.windowMs) {
      this.#lastSweep = now;
      const idleBefore = now - conversion.windowMs;
      for (const [prefix, entry] of this.#prefixes) {
        const verifiedLately = entry.lastVerifiedAt !== undefined && entry.lastVerifiedAt > idleBefore;
        if (!verifiedLately && entry.conversion.newestEnd <= idleBefore && entry.velocity.newestEnd <= idleBefore) this.#prefixes.delete(prefix);
      }
      for (const [country, ring] of this.#countries) if (ring.newestEnd <= idleBefore) this.#countries.delete(country);
      for (const [key, block] of this.#blocks) {
        if (block.forgetAt > now) continue;
        this.#blocks.delete(key);
        this.#blocksByScope[block.scope].delete(block.key);
      }
    }
    while (this.#prefixes.size > this.#maxScopes) this.#prefixes.delete(this.#prefixes.keys().next().value!);
  }
}

/** A slot per bucket of the window, and one for the bucket straddling its start. */
function slotsFor(shape: WindowShape): number {
  return Math.ceil(shape.windowMs / shape.bucketMs) + 1;
}
