/**
 * The one way the suites start verifyd: a real server (startApp) in this
 * process, on 127.0.0.1 and a free port, configured from the test defaults
 * (config.ts) with a suite's scenario and a test's own changes layered on,
 * and driven through real clients over real sockets: Connect over HTTP/1.1
 * (JSON) and HTTP/2 (binary), gRPC through connect-node, gRPC-Web, gRPC
 * through @grpc/grpc-js, and plain fetch. Suites differ in what they drive,
 * not in how they boot.
 *
 * Time: with a FakeClock as `clock`, the policy's timing (delivery window,
 * expiry, resend interval) waits for the test's hand instead of the wall
 * clock; with `timers: "manual"` the timer loop, too, runs only when the test
 * calls runTimers(). Provider timeouts, circuit breakers and the simulators'
 * receipts stay on real time.
 *
 * @example
 * const clock = new FakeClock(Date.now());
 * const server = await startTestServer({ config: E2E_SCENARIO, clock });
 * const { verification } = await server.connectH2.start({ phoneNumber: "+12025550120" });
 * clock.advance(300); // the delivery window runs out: the next poll fails over
 * await server.waitForOutbox("+12025550120", 2);
 * await server.close();
 */
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { VerificationService } from "../../gen/verify/v1/verify_pb.js";
import type { Config } from "../../src/config/schema.js";
import type { OutboundMessage } from "../../src/providers/adapter.js";
import { type App, startApp } from "../../src/server/app.js";
import { MemoryStore } from "../../src/store/memory/memory-store.js";
import { type AppLogger, createLogger } from "../../src/telemetry/logger.js";
import type { Telemetry } from "../../src/telemetry/telemetry.js";
import type { Clock } from "../../src/verification/clock.js";
import type { VerificationEvent } from "../../src/verification/model.js";
import { type ConfigLayer, testConfig } from "./config.js";
import { createGrpcJsClient, type GrpcJsClient } from "./grpc-js.js";
import { codeFromBody, type OutboxMessage, readOutbox, waitForOutbox } from "./outbox.js";

export interface TestServerOptions {
  /** Layered over the test defaults, in order: typically the suite's scenario, then the test's own changes. */
  config?: ConfigLayer | readonly ConfigLayer[];
  /** A configuration parsed elsewhere (the embedded default, say), used instead of the test defaults and `config`. */
  parsedConfig?: Config;
  /** What verifyd reads the time from; the wall clock unless given. */
  clock?: Clock;
  /** "manual": the timer loop is stopped after start-up and runs only on runTimers(). */
  timers?: "background" | "manual";
  /** The router's exploration source, uniform in [0, 1). */
  routeRandom?: () => number;
  /** Where traces and metrics go; shut down by close(). By default verifyd starts its own from OTEL_*. */
  telemetry?: Telemetry;
  /** Where verifyd logs; nowhere unless given. */
  logger?: AppLogger;
}

export type Protocol = "connectH1" | "connectH2" | "grpc" | "grpcWeb";

export type VerificationClient = Client<typeof VerificationService>;

/** One call verifyd made to a provider's adapter, answered or not. */
export interface ProviderCall {
  message: OutboundMessage;
  signal: AbortSignal;
}

export interface TestServer {
  readonly app: App;
  readonly url: string;
  /** Connect protocol, JSON, over HTTP/1.1. */
  readonly connectH1: VerificationClient;
  /** Connect protocol, binary, over HTTP/2. */
  readonly connectH2: VerificationClient;
  /** gRPC through connect-node's transport (HTTP/2). */
  readonly grpc: VerificationClient;
  /** gRPC-Web over HTTP/1.1. */
  readonly grpcWeb: VerificationClient;
  /** gRPC through @grpc/grpc-js, the client most gRPC services in the wild use. */
  readonly grpcJs: GrpcJsClient;
  /** The transports behind the clients above, for the other services on the port (admin, health, reflection). */
  readonly transports: Readonly<Record<Protocol, Transport>>;
  /** A client for any service on the port; Connect JSON over HTTP/1.1 unless `protocol` says otherwise. */
  client<S extends DescService>(service: S, protocol?: Protocol): Client<S>;
  outbox(to?: string): Promise<OutboxMessage[]>;
  /** Polls /sim/outbox until `to` has at least `count` messages. */
  waitForOutbox(to: string, count: number, timeoutMs?: number): Promise<OutboxMessage[]>;
  /** The code in the first message sent to `to` (waiting for it). */
  codeSentTo(to: string): Promise<string>;
  /** Every call made to `provider`'s adapter so far, in order, with the abort signal it was given. */
  sends(provider: string): readonly ProviderCall[];
  /** The events the store published for `verificationId`, in order. */
  events(verificationId: string): VerificationEvent[];
  /** How many verifications the store holds: "changes nothing" means this stays put. */
  storedCount(): number;
  /** Ids of every verification created since start-up, including ones whose Start failed. */
  createdIds(): string[];
  /** With timers: "manual", one pass of the timer loop now, waiting for the work it started; the number claimed. */
  runTimers(): Promise<number>;
  close(): Promise<void>;
}

/** Starts verifyd and connects every kind of client to it. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const layers = options.config === undefined ? [] : isLayerList(options.config) ? options.config : [options.config];
  const config = options.parsedConfig ?? testConfig(...layers);
  const app = await startApp(config, {
    port: 0,
    host: "127.0.0.1",
    logger: options.logger ?? createLogger("silent"),
    clock: options.clock,
    routeRandom: options.routeRandom,
    telemetry: options.telemetry,
  });
  const manualTimers = options.timers === "manual";
  if (manualTimers) await app.timers.stop();
  const url = app.url;

  // Observes (never replaces) what the app does, so tests can see past the API.
  const store = app.store;
  const created: string[] = [];
  const insert = store.insert.bind(store);
  store.insert = async (record) => {
    created.push(record.id);
    return insert(record);
  };
  const published: VerificationEvent[] = [];
  const publish = store.publish.bind(store);
  store.publish = async (events) => {
    published.push(...events);
    return publish(events);
  };
  const calls = new Map<string, ProviderCall[]>();
  for (const adapter of app.providers.values()) {
    const made: ProviderCall[] = [];
    calls.set(adapter.name, made);
    const send = adapter.send.bind(adapter);
    adapter.send = (message, signal) => {
      made.push({ message, signal });
      return send(message, signal);
    };
  }

  const sessions = [new Http2SessionManager(url), new Http2SessionManager(url)];
  const transports: Record<Protocol, Transport> = {
    connectH1: createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: false }),
    connectH2: createConnectTransport({ baseUrl: url, httpVersion: "2", sessionManager: sessions[0] }),
    grpc: createGrpcTransport({ baseUrl: url, sessionManager: sessions[1] }),
    grpcWeb: createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" }),
  };
  const grpcJs = createGrpcJsClient(`127.0.0.1:${app.port}`, VerificationService);
  let closing: Promise<void> | undefined;

  return {
    app,
    url,
    connectH1: createClient(VerificationService, transports.connectH1),
    connectH2: createClient(VerificationService, transports.connectH2),
    grpc: createClient(VerificationService, transports.grpc),
    grpcWeb: createClient(VerificationService, transports.grpcWeb),
    grpcJs,
    transports,
    client: (service, protocol = "connectH1") => createClient(service, transports[protocol]),
    outbox: (to) => readOutbox(url, to),
    waitForOutbox: (to, count, timeoutMs) => waitForOutbox(url, to, count, timeoutMs),
    async codeSentTo(to) {
      const [first] = await waitForOutbox(url, to, 1);
      return codeFromBody(first!.body);
    },
    sends(provider) {
      const made = calls.get(provider);
      if (!made) throw new Error(`no provider named ${provider}`);
      return made;
    },
    events: (verificationId) => published.filter((event) => event.verificationId === verificationId),
    storedCount() {
      if (!(store instanceof MemoryStore)) throw new Error("storedCount needs the memory store");
      return store.size;
    },
    createdIds: () => [...created],
    async runTimers() {
      if (!manualTimers) throw new Error('runTimers() is for a server started with timers: "manual"');
      const claimed = await app.timers.runDue();
      await app.timers.stop();
      return claimed;
    },
    close() {
      closing ??= (async () => {
        grpcJs.close();
        await app.close();
        for (const session of sessions) session.abort();
        await options.telemetry?.shutdown();
      })();
      return closing;
    },
  };
}

function isLayerList(config: ConfigLayer | readonly ConfigLayer[]): config is readonly ConfigLayer[] {
  return Array.isArray(config);
}
