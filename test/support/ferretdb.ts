/**
 * A MongoDB wire-protocol server for the MongoDB suites: the one in
 * MONGODB_URI when it is set (a real MongoDB; a replica set there also
 * exercises change streams), else a FerretDB v1 process with a SQLite data
 * directory of its own, on a free port, started here and stopped after.
 * FerretDB is installed by scripts/install-tools.sh (run by `npm test`). Under
 * CI a missing server fails the suite; elsewhere the suite is skipped with
 * the reason printed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";

export const FERRETDB_BINARY = fileURLToPath(new URL("../../.tools/bin/ferretdb", import.meta.url));

export interface MongoTestServer {
  readonly kind: "ferretdb" | "external";
  /** A connection string without a database. */
  readonly uri: string;
  /** A database name no other suite uses. */
  uniqueDatabase(prefix: string): string;
  /** Stops the server (FerretDB only; its data stays). `hard` sends SIGKILL. */
  stop(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port and data (FerretDB only). */
  restart(): Promise<void>;
  /** Stops it for good, drops what the suite created, removes the data directory. */
  close(): Promise<void>;
}

/** Whether the MongoDB suites can run here; when not, why. */
export function mongoServerAvailability(): { available: true } | { available: false; reason: string } {
  if (process.env.MONGODB_URI) return { available: true };
  if (existsSync(FERRETDB_BINARY)) return { available: true };
  const reason = `FerretDB is not installed at ${FERRETDB_BINARY}: run \`bash scripts/install-tools.sh\` (needs Go), or set MONGODB_URI`;
  // In CI the MongoDB suites are part of what must pass: a missing server is a failure, never a skip.
  if (process.env.CI) throw new Error(reason);
  console.warn(`[mongodb suites skipped] ${reason}`);
  return { available: false, reason };
}

export async function startMongoServer(): Promise<MongoTestServer> {
  const external = process.env.MONGODB_URI;
  if (external) return externalServer(external);
  return FerretDbServer.start();
}

function externalServer(uri: string): MongoTestServer {
  const databases = new Set<string>();
  return {
    kind: "external",
    uri,
    uniqueDatabase(prefix) {
      const name = `${prefix}_${randomBytes(4).toString("hex")}`;
      databases.add(name);
      return name;
    },
    async stop() {
      throw new Error("an external MongoDB (MONGODB_URI) cannot be stopped by the tests");
    },
    async restart() {
      throw new Error("an external MongoDB (MONGODB_URI) cannot be restarted by the tests");
    },
    async close() {
      const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 }).connect();
      try {
        for (const name of databases) await client.db(name).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

class FerretDbServer implements MongoTestServer {
  readonly kind = "ferretdb";
  readonly uri: string;
  readonly #port: number;
  readonly #dataDir: string;
  #process: ChildProcess | undefined;
  #output = "";

  private constructor(port: number, dataDir: string) {
    this.#port = port;
    this.#dataDir = dataDir;
    this.uri = `mongodb://127.0.0.1:${port}/`;
  }

  static async start(): Promise<FerretDbServer> {
    if (!existsSync(FERRETDB_BINARY)) {
      throw new Error(`FerretDB is not installed at ${FERRETDB_BINARY}: run \`bash scripts/install-tools.sh\``);
    }
    const server = new FerretDbServer(await freePort(), mkdtempSync(join(tmpdir(), "verifyd-ferretdb-")));
    await server.restart();
    return server;
  }

  uniqueDatabase(prefix: string): string {
    return `${prefix}_${randomBytes(4).toString("hex")}`;
  }

  async restart(): Promise<void> {
    if (this.#process) throw new Error("FerretDB is already running");
    this.#output = "";
    const child = spawn(
      FERRETDB_BINARY,
      [
        "--handler=sqlite",
        `--sqlite-url=file:${this.#dataDir}/?_pragma=synchronous(normal)`,
        `--state-dir=${this.#dataDir}`,
        `--listen-addr=127.0.0.1:${this.#port}`,
        // No debug/metrics listener: several suites run FerretDB at once.
        "--debug-addr=-",
        "--telemetry=disable",
        "--log-level=WARN",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (chunk: Buffer) => (this.#output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.#output += chunk.toString()));
    this.#process = child;
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    child.once("exit", () => process.off("exit", killOnExit));
    const deadline = Date.now() + 15_000;
    while (!(await canConnect(this.#port))) {
      if (child.exitCode !== null) throw new Error(`FerretDB exited with ${child.exitCode}:\n${this.#output}`);
      if (Date.now() > deadline) throw new Error(`FerretDB did not listen on ${this.#port} within 15 s:\n${this.#output}`);
      await sleep(50);
    }
  }

  async stop(options: { hard?: boolean } = {}): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#process = undefined;
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(options.hard ? "SIGKILL" : "SIGTERM");
    await Promise.race([exited, sleep(10_000).then(() => child.kill("SIGKILL"))]);
    await exited;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once("error", () => resolveConnect(false));
  });
}
