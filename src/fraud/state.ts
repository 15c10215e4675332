/**
 * What the guards keep between Starts, and the port through which they keep
 * it. The store implements it (store/memory, store/mongo), so every instance
 * sharing a database judges on the same counters and blocks.
 */
import type { BlockScope } from "./settings.js";
import type { Bucket, WindowShape } from "./window.js";

/** Which counters an increment goes to: a prefix's velocity window, or a prefix's or country's conversion window. */
export type CounterKind = "velocity" | "prefix" | "country";

export interface CounterIncrement {
  kind: CounterKind;
  /** The prefix ("+1202555") or the country ("US"). */
  key: string;
  /** When it happened (epoch ms); the store files it under its bucket. */
  at: number;
  sends?: number;
  verified?: number;
  newSends?: number;
  newVerified?: number;
}

/** A conversion block. Kept after `until` (inactive) until `forgetAt`, so a repeat escalates. */
export interface StoredBlock {
  scope: BlockScope;
  key: string;
  country: string;
  reason: "conversion_guard";
  /** 1 for a first block; each repeat within the escalation memory adds one. */
  level: number;
  since: number;
  until: number;
  figures: Readonly<Record<string, string | number | boolean>>;
  forgetAt: number;
}

export interface FraudSnapshot {
  /** The prefix's velocity buckets. */
  velocity: Bucket[];
  prefix: { buckets: Bucket[]; block?: StoredBlock; lastVerifiedAt?: number };
  country: { buckets: Bucket[]; block?: StoredBlock };
}

/** When the prefix's current run of verifications began, and its last one, before a verification was recorded. */
export interface ProvenBefore {
  lastVerifiedAt?: number;
  provenSince?: number;
}

/** The windows the store keeps counters for, so it knows bucket lengths and when a bucket may go. */
export interface FraudWindows {
  velocity: WindowShape;
  conversion: WindowShape;
}

export interface FraudState {
  /**
   * The counters and blocks a Start to a number of `prefix` in `country` is
   * judged on; a store that holds them in memory may answer at once (no
   * promise), which spares every Start the await.
   */
  snapshot(prefix: string, country: string, now: number): FraudSnapshot | Promise<FraudSnapshot>;
  add(increments: readonly CounterIncrement[]): Promise<void>;
  /**
   * Records that a code sent to `prefix` was verified at `at`: the prefix's
   * last verification becomes `at`, and a new run of verifications begins
   * when the last one is more than `windowMs` old. Answers how it stood before.
   */
  markVerified(prefix: string, at: number, windowMs: number): Promise<ProvenBefore>;
  /** Creates or replaces the scope's block. */
  putBlock(block: StoredBlock): Promise<void>;
  /** Blocks whose `until` is after `now`. */
  activeBlocks(now: number): Promise<StoredBlock[]>;
  /** Forgets the scope's block and its conversion (and, for a prefix, velocity) counters; answers the block it held. */
  clear(scope: BlockScope, key: string): Promise<StoredBlock | undefined>;
  close(): Promise<void>;
}
