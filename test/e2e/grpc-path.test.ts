/**
 * The lean gRPC path (src/server/grpc-path.ts) on the one-port server: which
 * requests it takes and which it leaves to the general path, and that what it
 * takes behaves as the general path would (interceptors, deadlines, the
 * caller leaving, bad bodies). The conformance suite covers the protocol at
 * large; this pins the hand-over and the handler's view of a call.
 */
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { EchoRequestSchema, EchoService } from "../../gen/verify/bench/v1/echo_pb.js";
import { dropUnreachableDeadline } from "../../src/server/deadlines.js";
import { type ListeningServer, listen } from "../../src/server/http-server.js";
import { createRpcHandler } from "../../src/server/rpc-handler.js";
import { testConfig } from "../support/config.js";
import { eventually } from "../support/eventually.js";
import { createGrpcJsClient, type GrpcJsClient } from "../support/grpc-js.js";

const ECHO = "/verify.bench.v1.EchoService/Echo";
const READ_MAX_BYTES = 1024;

/** What the handler saw of each call. */
interface Seen {
  timeoutMs: number | undefined;
  abortReason: unknown;
}

let server: ListeningServer;
let url: string;
let grpcJs: GrpcJsClient;
/** Per request that reached the server over HTTP/2: whether the lean path took it. */
const taken: boolean[] = [];
const seen: Seen[] = [];

/** Sets a response header, so a test can tell the interceptors ran. */
const marking: Interceptor = (next) => async (request) => {
  const response = await next(request);
  response.header.set("x-intercepted", request.stream ? "stream" : "unary");
  return response;
};

async function echo(request: { message: string }, context: HandlerContext) {
  const record: Seen = { timeoutMs: context.timeoutMs(), abortReason: undefined };
  seen.push(record);
  context.signal.addEventListener("abort", () => (record.abortReason = context.signal.reason));
  if (request.message === "fail") throw new Error("a fault with details the caller must not see");
  // Long enough for a deadline that fired at once to have aborted the signal by the answer.
  if (request.message === "slow") await new Promise((resolve) => setTimeout(resolve, 50));
  if (request.message === "wait") {
    await new Promise((resolve) => context.signal.addEventListener("abort", resolve));
    throw context.signal.reason;
  }
  return { message: request.message };
}

beforeAll(async () => {
  const handlers = createRpcHandler({
    routes: (router) => router.service(EchoService, { echo }),
    interceptors: [marking],
    readMaxBytes: READ_MAX_BYTES,
  });
  server = await listen(0, "127.0.0.1", testConfig().server);
  server.serve({
    request: handlers.request,
    stream: (stream, headers) => {
      const took = handlers.grpcStream(stream, headers);
      taken.push(took);
      return took;
    },
  });
  url = `http://127.0.0.1:${server.port}`;
  grpcJs = createGrpcJsClient(`127.0.0.1:${server.port}`, EchoService);
});

afterAll(async () => {
  grpcJs.close();
  await server.close(1_000);
});

beforeEach(() => {
  taken.length = 0;
  seen.length = 0;
});

/** A raw gRPC call on node:http2: the status and message from the trailers (or a trailers-only answer). */
function rawGrpc(body: Buffer, headers: http2.OutgoingHttpHeaders = {}): Promise<{ status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": ECHO, "content-type": "application/grpc", te: "trailers", ...headers });
    let status = "";
    let message = "";
    const read = (received: http2.IncomingHttpHeaders) => {
      if (received["grpc-status"] !== undefined) {
        status = String(received["grpc-status"]);
        message = decodeURIComponent(String(received["grpc-message"] ?? ""));
      }
    };
    stream.on("response", read);
    stream.on("trailers", read);
    stream.resume();
    stream.on("close", () => {
      session.close();
      resolve({ status, message });
    });
    stream.end(body);
  });
}

function envelope(payload: Uint8Array, flags = 0): Buffer {
  const framed = Buffer.alloc(5 + payload.byteLength);
  framed[0] = flags;
  framed.writeUInt32BE(payload.byteLength, 1);
  framed.set(payload, 5);
  return framed;
}

describe("which requests take the lean path", () => {
  test("plain gRPC from grpc-js: answered by the implementation, through the interceptors", async () => {
    const call = new Promise<{ message: string; intercepted: unknown }>((resolve, reject) => {
      let intercepted: unknown;
      const client = new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
      const request = Buffer.from(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "hello" })));
      const unary = client.makeUnaryRequest(
        ECHO,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes.subarray(2).toString("utf8"),
        request,
        (error, response) => {
          client.close();
          if (error) reject(error);
          else resolve({ message: response as string, intercepted });
        },
      );
      unary.on("metadata", (metadata) => (intercepted = metadata.get("x-intercepted")[0]));
    });
    const answer = await call;
    expect(answer).toEqual({ message: "hello", intercepted: "unary" });
    expect(taken).toEqual([true]);
  });

  test.each([
    ["gRPC with a gzip-compressed request", () => createGrpcTransport({ baseUrl: url, sendCompression: compressionGzip, compressMinBytes: 0 })],
    ["gRPC-Web over HTTP/2", () => createGrpcWebTransport({ baseUrl: url, httpVersion: "2" })],
    ["Connect over HTTP/2", () => createConnectTransport({ baseUrl: url, httpVersion: "2" })],
  ])("%s: left to the general path, which answers it", async (_name, transport) => {
    const client = createClient(EchoService, transport());
    expect((await client.echo({ message: "general" })).message).toBe("general");
    expect(taken).toEqual([false]);
  });
});

describe("a call the lean path takes", () => {
  test("its deadline reaches the handler: whole milliseconds from timeoutMs(), then the signal aborts with DEADLINE_EXCEEDED", async () => {
    const error = await grpcJs.unary(EchoService.method.echo, { message: "wait" }, { deadlineMs: 300 }).catch((e: unknown) => e);
    expect((error as grpc.ServiceError).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await eventually(() => expect(ConnectError.from(seen[0]?.abortReason).code).toBe(Code.DeadlineExceeded));
    expect(Number.isInteger(seen[0]!.timeoutMs)).toBe(true);
    expect(seen[0]!.timeoutMs).toBeGreaterThan(0);
    expect(seen[0]!.timeoutMs).toBeLessThanOrEqual(300);
    expect(taken).toEqual([true]);
  });

  test("a deadline longer than Node's timers reach (grpc-timeout 99999999H) is no deadline, not an immediate one", async () => {
    const answer = await rawGrpc(envelope(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "slow" }))), { "grpc-timeout": "99999999H" });
    expect(answer.status).toBe("0");
    expect(seen[0]!.abortReason).toBeUndefined();
    expect(seen[0]!.timeoutMs).toBeGreaterThan(2 ** 31);
  });

  test.each([
    ["gRPC-Web", { "content-type": "application/grpc-web+proto", "grpc-timeout": "99999999H" }],
    ["gRPC with a gzip request encoding declared", { "grpc-encoding": "gzip", "grpc-timeout": "99999999H" }],
  ])("on the general path too (%s), a deadline past Node's timers is none", async (_name, headers) => {
    const body = envelope(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "slow" })));
    await rawGrpc(body, headers);
    expect(taken).toEqual([false]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.timeoutMs).toBeUndefined();
    // The general path aborts every handler's signal once the call is over (without a reason); never for a deadline here.
    expect(ConnectError.from(seen[0]!.abortReason).code).not.toBe(Code.DeadlineExceeded);
  });

  test("a client that goes away aborts the handler's signal with CANCELED", async () => {
    const session = http2.connect(url);
    const stream = session.request({ ":method": "POST", ":path": ECHO, "content-type": "application/grpc", te: "trailers" });
    stream.on("error", () => {});
    stream.end(envelope(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "wait" }))));
    await eventually(() => expect(seen).toHaveLength(1));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await eventually(() => expect(ConnectError.from(seen[0]!.abortReason).code).toBe(Code.Canceled));
    session.close();
  });

  test('a fault in the implementation is INTERNAL "internal error", its text kept off the wire', async () => {
    const answer = await rawGrpc(envelope(toBinary(EchoRequestSchema, create(EchoRequestSchema, { message: "fail" }))));
    expect(answer).toEqual({ status: String(Code.Internal), message: "internal error" });
  });

  test.each([
    ["no message", Buffer.alloc(0), Code.Unimplemented, /takes exactly one request message, and none was sent/],
    ["two messages", Buffer.concat([envelope(new Uint8Array()), envelope(new Uint8Array())]), Code.Unimplemented, /and more were sent/],
    ["a truncated envelope", Buffer.from([0, 0, 0, 0, 9, 1]), Code.InvalidArgument, /not a valid verify\.bench\.v1\.EchoRequest \(an incomplete envelope\)/],
    [
      "bytes that are not an EchoRequest",
      envelope(Buffer.from([0xff, 0xff, 0xff])),
      Code.InvalidArgument,
      /^the request body is not a valid verify\.bench\.v1\.EchoRequest$/,
    ],
    ["a message flagged compressed without an encoding", envelope(new Uint8Array(), 1), Code.InvalidArgument, /flagged compressed without a grpc-encoding/],
    ["a message over readMaxBytes", envelope(new Uint8Array(READ_MAX_BYTES + 1)), Code.ResourceExhausted, /larger than the limit of 1024 bytes/],
  ])("%s is answered with the right code and a message of ours", async (_name, body, code, message) => {
    const answer = await rawGrpc(body);
    expect(answer.status).toBe(String(code));
    expect(answer.message).toMatch(message);
    expect(taken).toEqual([true]);
    // Nothing reached the implementation.
    expect(seen).toEqual([]);
  });
});

describe("deadlines past Node's timers", () => {
  test.each([
    [{ "grpc-timeout": "99999999H" }, {}],
    [{ "grpc-timeout": "597H" }, {}],
    [{ "grpc-timeout": "596H" }, { "grpc-timeout": "596H" }],
    [{ "grpc-timeout": "2147483647m" }, { "grpc-timeout": "2147483647m" }],
    [{ "connect-timeout-ms": "2147483648" }, {}],
    [{ "connect-timeout-ms": "2147483647" }, { "connect-timeout-ms": "2147483647" }],
    [
      { "grpc-timeout": "bogus", "connect-timeout-ms": "x" },
      { "grpc-timeout": "bogus", "connect-timeout-ms": "x" },
    ],
  ])("%j becomes %j before the general path reads it (malformed ones are left for the protocol to refuse)", (headers, expected) => {
    const copy: Record<string, string> = { ...headers };
    dropUnreachableDeadline(copy);
    expect(copy).toEqual(expected);
  });
});
