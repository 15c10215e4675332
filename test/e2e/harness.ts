/**
 * The shared end-to-end harness: starts a real verifyd on a free port from a
 * YAML configuration written for the scenarios below, and drives it through
 * real clients over real sockets: Connect over HTTP/1.1 and HTTP/2, gRPC
 * through connect-node, gRPC through @grpc/grpc-js, and plain fetch.
 *
 * Scenario numbers (the simulators' rules key on these prefixes):
 *
 * | prefix          | what happens                                                       |
 * |-----------------|--------------------------------------------------------------------|
 * | +1202555010x    | sim-a accepts and reports DELIVERED after 30 ms                    |
 * | +1202555011x    | sim-a rejects (no_route): fast failover to sim-b                   |
 * | +1202555012x    | sim-a drops it: slow failover to sim-b after delivery_window       |
 * | +1202555013x    | sim-a accepts, then reports UNDELIVERED: failover at once          |
 * | +1202555014x    | sim-a (after 150 ms) and sim-b reject: voice is offered            |
 * | +1202555015x    | sim-a never answers: its 300 ms timeout counts as a rejection      |
 * | +1202555016x    | sim-a takes 300 ms to accept (in-flight calls during shutdown)     |
 * | +1202555017x    | sim-a and sim-b both drop: slow failover runs out of SMS           |
 * | +336123456xx    | FR routes only sim-a and sim-b, both reject: nothing is routable   |
 * | any other       | sim-a accepts (DELIVERED after 30 ms); DE routes sim-b first       |
 *
 * sim-b accepts everything else and reports DELIVERED after 100 ms; sim-voice
 * (voice only) accepts and reports DELIVERED after 50 ms. Each test uses its
 * own numbers, because a number can have only one active verification.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { create, type DescMessage, type DescMethodServerStreaming, type DescMethodUnary, type DescService, fromBinary, type Message, type MessageInitShape, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, type Client, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { expect } from "vitest";
import { type EventType, type VerificationEvent, VerificationService, type WatchResponse } from "../../gen/verify/v1/verify_pb.js";
import { parseConfig } from "../../src/config/load-config.js";
import { type App, startApp } from "../../src/server/app.js";
import { MemoryStore } from "../../src/store/memory/memory-store.js";
import { createLogger } from "../../src/telemetry/logger.js";

export const BASE_POLICY = {
  code_length: 6,
  code_ttl: "5s",
  delivery_window: "300ms",
  max_check_attempts: 3,
  resend_min_interval: "200ms",
};

export interface TestAppOptions {
  policy?: Partial<typeof BASE_POLICY>;
  rateLimits?: {
    perPhone?: number;
    perIp?: number;
    checkPerIp?: number;
  };
  /** How long close() waits for in-flight calls. */
  shutdownGrace?: string;
  /** `silent` unless a test reads the logs (the CLI test waits for "verifyd listening"). */
  logLevel?: string;
}

/** The scenario configuration as YAML text, exactly as an operator would write it. */
export function testConfigYaml(options: TestAppOptions = {}): string {
  const policy = { ...BASE_POLICY, ...options.policy };
  const limits = { perPhone: 1000, perIp: 1000, checkPerIp: 1000, ...options.rateLimits };
  return `
server: { port: 0, host: 127.0.0.1, shutdown_grace: ${options.shutdownGrace ?? "5s"} }
store: { type: memory }
security: { code_hmac_key: "e2e-test-hmac-key-0123456789abcdef" }
log: { level: ${options.logLevel ?? "silent"} }
policy:
  code_length: ${policy.code_length}
  code_ttl: ${policy.code_ttl}
  delivery_window: ${policy.delivery_window}
  max_check_attempts: ${policy.max_check_attempts}
  resend_min_interval: ${policy.resend_min_interval}
  auto_escalate: false
rate_limits:
  per_phone: { limit: ${limits.perPhone}, window: 10m }
  per_ip: { limit: ${limits.perIp}, window: 10m }
  check_per_ip: { limit: ${limits.checkPerIp}, window: 10m }
timers: { poll_interval: 20ms }
providers:
  - name: sim-a
    type: simulator
    channels: [sms]
    timeout: 300ms
    simulate:
      default: { outcome: deliver, latency_ms: 0, dlr_delay_ms: 30 }
      rules:
        - { match: "+1202555011*", outcome: reject, error: no_route }
        - { match: "+1202555012*", outcome: drop }
        - { match: "+1202555013*", outcome: undelivered, dlr_delay_ms: 20 }
        - { match: "+1202555014*", outcome: reject, error: no_route, latency_ms: 150 }
        - { match: "+1202555015*", outcome: timeout }
        - { match: "+1202555016*", outcome: deliver, latency_ms: 300, dlr_delay_ms: 50 }
        - { match: "+1202555017*", outcome: drop }
        - { match: "+336123456*", outcome: reject, error: unavailable }
  - name: sim-b
    type: simulator
    channels: [sms]
    simulate:
      default: { outcome: deliver, latency_ms: 0, dlr_delay_ms: 100 }
      rules:
        - { match: "+1202555014*", outcome: reject, error: no_route }
        - { match: "+1202555017*", outcome: drop }
        - { match: "+336123456*", outcome: reject, error: auth }
  - name: sim-voice
    type: simulator
    channels: [voice]
    simulate:
      default: { outcome: deliver, latency_ms: 0, dlr_delay_ms: 50 }
routing:
  default: [sim-a, sim-b, sim-voice]
  countries:
    DE: [sim-b, sim-a, sim-voice]
    FR: [sim-a, sim-b]
`;
}

export type VerificationClient = Client<typeof VerificationService>;

export interface OutboxMessage {
  provider: string;
  channel: string;
  to: string;
  body: string;
  at: string;
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
  /** A connect-node gRPC transport, for other services on the port (health, reflection). */
  readonly grpcTransport: ReturnType<typeof createGrpcTransport>;
  outbox(to?: string): Promise<OutboxMessage[]>;
  /** Polls /sim/outbox until `to` has at least `count` messages. */
  waitForOutbox(to: string, count: number, timeoutMs?: number): Promise<OutboxMessage[]>;
  /** The code in the first message sent to `to` (waiting for it). */
  codeSentTo(to: string): Promise<string>;
  /** How many verifications the store holds: "changes nothing" means this stays put. */
  storedCount(): number;
  /** Ids of every verification created from now on, including ones whose Start failed. */
  createdIds(): string[];
  close(): Promise<void>;
}

/** Starts verifyd with the scenario configuration and connects every kind of client to it. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestServer> {
  const config = parseConfig(testConfigYaml(options), {}, "e2e config");
  const app = await startApp(config, { port: 0, host: "127.0.0.1", logger: createLogger("silent") });
  const url = app.url;

  // Observes (not replaces) the real store, so a test can find a record whose Start threw.
  const created: string[] = [];
  const store = app.store;
  const insert = store.insert.bind(store);
  store.insert = async (record) => {
    created.push(record.id);
    return insert(record);
  };

  const sessions = [new Http2SessionManager(url), new Http2SessionManager(url)];
  const grpcTransport = createGrpcTransport({ baseUrl: url, sessionManager: sessions[1] });
  const grpcJs = createGrpcJsClient(`127.0.0.1:${app.port}`, VerificationService);

  const outbox = async (to?: string): Promise<OutboxMessage[]> => {
    const query = to === undefined ? "" : `?to=${encodeURIComponent(to)}`;
    const response = await fetch(`${url}/sim/outbox${query}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { messages: OutboxMessage[] };
    return body.messages;
  };
  const waitForOutbox = async (to: string, count: number, timeoutMs = 5000) => {
    let messages: OutboxMessage[] = [];
    await eventually(async () => {
      messages = await outbox(to);
      expect(messages.length, `messages sent to ${to}`).toBeGreaterThanOrEqual(count);
    }, timeoutMs);
    return messages;
  };

  return {
    app,
    url,
    connectH1: createClient(VerificationService, createConnectTransport({ baseUrl: url, httpVersion: "1.1", useBinaryFormat: false })),
    connectH2: createClient(VerificationService, createConnectTransport({ baseUrl: url, httpVersion: "2", sessionManager: sessions[0] })),
    grpc: createClient(VerificationService, grpcTransport),
    grpcWeb: createClient(VerificationService, createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" })),
    grpcJs,
    grpcTransport,
    outbox,
    waitForOutbox,
    async codeSentTo(to) {
      const [first] = await waitForOutbox(to, 1);
      return codeFromBody(first!.body);
    },
    storedCount() {
      if (!(store instanceof MemoryStore)) throw new Error("storedCount needs the memory store");
      return store.size;
    },
    createdIds: () => [...created],
    async close() {
      grpcJs.close();
      await app.close();
      for (const session of sessions) session.abort();
    },
  };
}

/**
 * The code in a simulated message: "123456" in an SMS, "1, 2, 3, 4, 5, 6" in
 * a voice script (read digit by digit). The first such run is the code; the
 * templates mention nothing numeric before it.
 */
export function codeFromBody(body: string): string {
  const match = /\d(?:, \d){3,9}|\d{4,10}/.exec(body);
  if (!match) throw new Error(`no code in message body ${JSON.stringify(body)}`);
  return match[0].replace(/\D/g, "");
}

/** Any other code of the same length. */
export function wrongCode(code: string): string {
  const last = Number(code.at(-1));
  return code.slice(0, -1) + String((last + 1) % 10);
}

/** Retries `assertion` until it passes or `timeoutMs` runs out, then throws its last failure. */
export async function eventually<T>(assertion: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(intervalMs);
    }
  }
}

/** Asserts a Connect client call failed with `code`, and its message matches `message`. */
export async function expectConnectError(call: Promise<unknown>, code: Code, message?: RegExp): Promise<ConnectError> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  expect(caught, "the call should have failed").toBeInstanceOf(ConnectError);
  const error = caught as ConnectError;
  expect(Code[error.code], error.rawMessage).toBe(Code[code]);
  if (message) expect(error.rawMessage).toMatch(message);
  return error;
}

/** Asserts a grpc-js call failed with `code`, and its details match `message`. */
export async function expectGrpcJsError(call: Promise<unknown>, code: grpc.status, message?: RegExp): Promise<grpc.ServiceError> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  expect(caught, "the call should have failed").toBeInstanceOf(Error);
  const error = caught as grpc.ServiceError;
  expect(grpc.status[error.code], error.details).toBe(grpc.status[code]);
  if (message) expect(error.details).toMatch(message);
  return error;
}

// --- Watch ---------------------------------------------------------------------

export type WatchOutcome = { ok: true } | { ok: false; error: unknown };

/** Collects a Watch stream's events as they arrive, from any client. */
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

// --- @grpc/grpc-js -------------------------------------------------------------

export interface GrpcJsClient {
  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    options?: { deadlineMs?: number },
  ): Promise<MessageShape<O>>;
  serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    request: MessageInitShape<I>,
  ): grpc.ClientReadableStream<MessageShape<O>>;
  close(): void;
}

type GenericMethod = (...args: unknown[]) => unknown;

/**
 * A @grpc/grpc-js client for any generated service: the service definition is
 * built from the protobuf-es descriptor, with toBinary/fromBinary as the
 * (de)serializers, so no proto-loader and no second code generator.
 */
export function createGrpcJsClient(address: string, service: DescService): GrpcJsClient {
  const definition: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const method of service.methods) {
    const serialize = (schema: DescMessage) => (value: Message) => Buffer.from(toBinary(schema, value));
    const deserialize = (schema: DescMessage) => (bytes: Buffer) => fromBinary(schema, bytes);
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      originalName: method.name,
      requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: serialize(method.input),
      requestDeserialize: deserialize(method.input),
      responseSerialize: serialize(method.output),
      responseDeserialize: deserialize(method.output),
    };
  }
  const Constructor = grpc.makeGenericClientConstructor(definition, service.name);
  const client = new Constructor(address, grpc.credentials.createInsecure());
  const methodOf = (localName: string): GenericMethod => {
    const fn = (client as unknown as Record<string, GenericMethod | undefined>)[localName];
    if (!fn) throw new Error(`grpc-js client has no method ${localName}`);
    return fn.bind(client);
  };

  return {
    unary(method, request, options = {}) {
      const call = methodOf(method.localName);
      const callOptions: grpc.CallOptions = { deadline: Date.now() + (options.deadlineMs ?? 10_000) };
      return new Promise((resolve, reject) => {
        call(create(method.input, request), new grpc.Metadata(), callOptions, (error: grpc.ServiceError | null, response: never) =>
          error ? reject(error) : resolve(response),
        );
      });
    },
    serverStream(method, request) {
      return methodOf(method.localName)(create(method.input, request)) as grpc.ClientReadableStream<never>;
    },
    close() {
      client.close();
    },
  };
}
