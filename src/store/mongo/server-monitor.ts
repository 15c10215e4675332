import type { MongoClient, ServerType, TopologyDescription } from "mongodb";
import type { Logger } from "../../verification/ports.js";
import { OutageLog } from "../outage-log.js";

/**
 * The driver's monitoring settings for a heartbeat every `intervalMs`. Its
 * default checks every 10 s; readiness reads its view, so it has to look often.
 */
export function heartbeatSettings(intervalMs: number): { heartbeatFrequencyMS: number; minHeartbeatFrequencyMS: number } {
  // minHeartbeatFrequencyMS: how soon a check asked for (by server selection, after an error) may follow the last one.
  return { heartbeatFrequencyMS: intervalMs, minHeartbeatFrequencyMS: Math.min(500, intervalMs) };
}

/** Server types a write can go to: a standalone, a replica set's primary, a mongos, a load balancer. */
const WRITABLE: ReadonlySet<ServerType> = new Set<ServerType>(["Standalone", "RSPrimary", "Mongos", "LoadBalancer"]);

/**
 * Whether the database can take writes, as the driver itself sees it. The
 * driver checks every server each `heartbeatFrequencyMS` and marks one
 * Unknown at once when a heartbeat or an operation fails on the network, so
 * following its topology events answers readiness within a heartbeat of the
 * database stopping or returning, without a round trip of our own (a ping
 * against a stopped server only fails after `serverSelectionTimeoutMS`).
 *
 * Heartbeat failures repeat every heartbeat while a server is away: they are
 * logged once per server and outage, with the count and duration when it
 * answers again (OutageLog).
 */
export class ServerMonitor {
  readonly #logger: Logger;
  readonly #outages = new Map<string, OutageLog>();
  #writable = false;

  constructor(client: MongoClient, logger: Logger) {
    this.#logger = logger;
    client.on("topologyDescriptionChanged", (event) => {
      this.#writable = hasWritableServer(event.newDescription);
    });
    // A failed first connection closes the topology; the next set-up opens a new one, whose events come here too.
    client.on("topologyClosed", () => {
      this.#writable = false;
    });
    client.on("serverHeartbeatFailed", (event) => {
      this.#outage(event.connectionId).failed(event.failure, `database server ${event.connectionId} unreachable; not ready until it answers again`);
    });
    client.on("serverHeartbeatSucceeded", (event) => {
      this.#outages.get(event.connectionId)?.succeeded();
    });
  }

  /** Whether the driver knows a server that takes writes now. */
  get writable(): boolean {
    return this.#writable;
  }

  #outage(address: string): OutageLog {
    let outage = this.#outages.get(address);
    if (!outage) {
      outage = new OutageLog(this.#logger, { subject: `database server ${address}`, fields: { server: address } });
      this.#outages.set(address, outage);
    }
    return outage;
  }
}

function hasWritableServer(topology: TopologyDescription): boolean {
  for (const server of topology.servers.values()) {
    if (WRITABLE.has(server.type)) return true;
  }
  return false;
}
