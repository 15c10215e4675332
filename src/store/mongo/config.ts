import { z } from "zod";
import { duration } from "../../schema/zod-types.js";

const DAY = 86_400_000;

/** A MongoDB deployment (or a server speaking its protocol, such as FerretDB) shared by every instance. */
export const mongoStoreSchema = z.strictObject({
  type: z.literal("mongodb"),
  /** A MongoDB connection string; usually "${MONGODB_URI}", so credentials stay out of the file. */
  uri: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a MongoDB connection string ("mongodb://..." or "mongodb+srv://...")'),
  database: z
    .string()
    .regex(/^[^/\\. "$*<>:|?]{1,63}$/, 'a database name is 1 to 63 characters, without / \\ . space " $ * < > : | ?')
    .default("verifyd"),
  /** How long finished and expired verifications (and their events) are kept before the TTL index deletes them. */
  retention: duration.default(DAY),
  /** `w` of every write: "majority", or a number of members (at least 1: a conditional write needs its answer). */
  write_concern: z.union([z.literal("majority"), z.number().int().min(1)]).default("majority"),
  timeouts: z
    .strictObject({
      /** With the database unreachable, requests answer UNAVAILABLE after this. */
      server_selection: duration.default(2_000),
      connect: duration.default(2_000),
      /** Server-side limit on each operation (maxTimeMS). */
      operation: duration.default(3_000),
    })
    .default({ server_selection: 2_000, connect: 2_000, operation: 3_000 }),
  /**
   * How often the driver checks each server. Readiness follows the driver's
   * view, so a stopped database reads not ready within about this long; each
   * check is one small `hello` per server and instance.
   */
  heartbeat_interval: duration.refine((ms) => ms >= 100, "heartbeat_interval must be at least 100ms").default(500),
  /** How often watched verifications are read for other instances' events, where there are no change streams. */
  poll_interval: duration.default(150),
  /** How often expired documents are deleted where the server has no TTL indexes (FerretDB). */
  purge_interval: duration.default(60_000),
  /**
   * How a write is made conditional on the version read: "conditional" (one
   * filtered update; atomic on MongoDB), "fenced" (a unique fence document
   * first; for servers whose filtered updates are not atomic, FerretDB v1), or
   * "auto" (fenced on FerretDB, conditional elsewhere).
   */
  write_mode: z.enum(["auto", "conditional", "fenced"]).default("auto"),
});

export type MongoStoreConfig = z.output<typeof mongoStoreSchema>;
