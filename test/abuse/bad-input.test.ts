/**
 * Requests the library cannot decode, sent raw (Node's http2 and fetch) so
 * that no client tidies them up: in every protocol they answer
 * INVALID_ARGUMENT with a message of ours, never the parser's text, and leave
 * the server answering and the store untouched. Issue 10, item 6: malformed
 * binary answered INTERNAL "parse binary: premature EOF", and an unknown enum
 * name in JSON silently meant SMS.
 */
import http2 from "node:http2";
import net from "node:net";
import { gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import { type Channel, StartRequestSchema } from "../../gen/verify/v1/verify_pb.js";
import { expectConnectError } from "../support/expect-error.js";
import { startTestServer, type TestServer } from "../support/server.js";

const START = "/verify.v1.VerificationService/Start";
const WATCH = "/verify.v1.VerificationService/Watch";
const NOT_A_START = /^the request body is not a valid verify\.v1\.StartRequest/;
/** Words only the library's own messages use; none may reach a client. */
const LIBRARY_TEXT = /parse binary|premature|EOF|JSON|position|protocol error|cannot decode|wire type/i;

const validStart = toBinary(StartRequestSchema, create(StartRequestSchema, { phoneNumber: "+12025550199", locale: "en" }));
/** A valid StartRequest cut short: the last field promises more bytes than follow. */
const truncated = validStart.subarray(0, validStart.byteLength - 1);
/** A field whose varint runs past the ten bytes any varint may take. */
const garbage = Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);

describe("undecodable requests", () => {
  let server: TestServer;
  let session: http2.ClientHttp2Session;
  const consoleError = vi.spyOn(console, "error");
  beforeAll(async () => {
    server = await startTestServer();
    session = http2.connect(server.url);
  });
  afterAll(async () => {
    session?.close();
    await server?.close();
  });

  // After every bad request: still answering, nothing stored, no handler failure logged.
  let stored: number;
  let created: string[];
  beforeEach(() => {
    stored = server.storedCount();
    created = server.createdIds();
    consoleError.mockClear();
  });
  afterEach(async () => {
    await expectConnectError(server.connectH2.check({ verificationId: "probe", code: "123456" }), Code.NotFound);
    expect(server.storedCount()).toBe(stored);
    expect(server.createdIds()).toEqual(created);
    expect(consoleError).not.toHaveBeenCalled();
  });

  function h2(path: string, headers: http2.OutgoingHttpHeaders, body: Uint8Array): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": path, ...headers });
      const chunks: Buffer[] = [];
      let head: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      stream.on("response", (received) => (head = received)).on("trailers", (received) => (trailers = received));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk)).on("error", reject);
      stream.on("end", () => resolve({ status: Number(head[":status"]), headers: head, trailers, body: Buffer.concat(chunks) }));
      stream.end(body);
    });
  }

  const connectProto = (body: Uint8Array) => h2(START, { "content-type": "application/proto" }, body);
  const grpc = (path: string, body: Uint8Array, flags = 0) => h2(path, { "content-type": "application/grpc", te: "trailers" }, envelope(body, flags));
  const grpcWeb = (path: string, contentType: string, body: Uint8Array, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": contentType, ...headers }, body: envelope(body) });
  const connectJson = (json: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${START}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: json });

  test.each([
    ["truncated", truncated],
    ["garbage", garbage],
  ])("Connect proto unary over HTTP/2: a %s body answers 400 invalid_argument with our message", async (_name, body) => {
    const response = await connectProto(body);
    expect(response.status).toBe(400);
    const error = JSON.parse(response.body.toString()) as { code: string; message: string };
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toBe("the request body is not a valid verify.v1.StartRequest");
  });

  test("Connect proto unary over HTTP/1.1: a garbage body answers 400 invalid_argument with our message", async () => {
    const response = await fetch(`${server.url}${START}`, { method: "POST", headers: { "content-type": "application/proto" }, body: garbage });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: "invalid_argument", message: "the request body is not a valid verify.v1.StartRequest" });
  });

  test("gRPC: a garbage frame answers grpc-status 3 with our grpc-message", async () => {
    const status = grpcStatus(await grpc(START, garbage));
    expect(status).toEqual({ code: String(Code.InvalidArgument), message: "the request body is not a valid verify.v1.StartRequest" });
  });

  test("gRPC: a frame flagged compressed without a grpc-encoding is undecodable, not an internal error", async () => {
    const status = grpcStatus(await grpc(START, validStart, 0x01));
    expect(status.code).toBe(String(Code.InvalidArgument));
    expect(status.message).toMatch(NOT_A_START);
  });

  test("gRPC-Web: a garbage frame answers a trailer frame with grpc-status 3 and our message", async () => {
    const response = await grpcWeb(START, "application/grpc-web+proto", truncated);
    expect(response.status).toBe(200);
    const trailer = webTrailer(new Uint8Array(await response.arrayBuffer()));
    expect(trailer).toEqual({ code: String(Code.InvalidArgument), message: "the request body is not a valid verify.v1.StartRequest" });
  });

  test("gRPC-Web JSON: an unknown key long enough for a compressed trailer is neither leaked nor echoed", async () => {
    const key = "k".repeat(3000);
    const json = new TextEncoder().encode(JSON.stringify({ phoneNumber: "+12025550199", [key]: 1 }));
    const response = await grpcWeb(START, "application/grpc-web+json", json, { "grpc-accept-encoding": "gzip" });
    const trailer = webTrailer(new Uint8Array(await response.arrayBuffer()));
    expect(trailer).toEqual({ code: String(Code.InvalidArgument), message: "the request body is not a valid verify.v1.StartRequest" });
  });

  test('Connect JSON: "channel":"CHANNEL_FOO" is invalid_argument naming channel, not silently SMS', async () => {
    const response = await connectJson(JSON.stringify({ phoneNumber: "+12025550199", channel: "CHANNEL_FOO" }));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      code: "invalid_argument",
      message: 'the request body is not a valid verify.v1.StartRequest (field "channel")',
    });
  });

  test.each([
    ["an unknown field", '{"phoneNumber":"+12025550199","colour":"red"}', /\(unknown field "colour"\)$/],
    ["a wrong type", '{"phoneNumber":"+12025550199","codeLength":"six"}', /\(field "code_length"\)$/],
    ["broken JSON", '{"phoneNumber":', /StartRequest$/],
  ])("Connect JSON: %s is invalid_argument with our message", async (_name, json, detail) => {
    const response = await connectJson(json);
    expect(response.status).toBe(400);
    const error = (await response.json()) as { code: string; message: string };
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toMatch(NOT_A_START);
    expect(error.message).toMatch(detail);
  });

  // 3,000 characters make an error body big enough to compress; (1 << 20) - 16, as long as readMaxBytes lets a key be, one larger than any request.
  test.each([3_000, (1 << 20) - 16])(
    "Connect JSON: an unknown key of %i characters, whose error the library would gzip, is neither leaked nor echoed",
    async (length) => {
      const response = await connectJson(JSON.stringify({ ["k".repeat(length)]: 1 }), { "accept-encoding": "gzip" });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ code: "invalid_argument", message: "the request body is not a valid verify.v1.StartRequest" });
    },
  );

  test("Connect proto unary: a body that claims gzip and is not is invalid_argument with our message", async () => {
    const response = await h2(START, { "content-type": "application/proto", "content-encoding": "gzip" }, garbage);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body.toString())).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(NOT_A_START) });
  });

  test("a gzipped request that decodes reaches the handler, which answers for itself", async () => {
    const body = gzipSync(toBinary(StartRequestSchema, create(StartRequestSchema, { phoneNumber: "+12025550199", channel: 99 as Channel })));
    const response = await h2(START, { "content-type": "application/proto", "content-encoding": "gzip" }, body);
    expect(JSON.parse(response.body.toString())).toEqual({ code: "invalid_argument", message: "channel 99 is not a known channel" });
  });

  test.each(["connectH2", "grpc", "grpcWeb"] as const)("%s: channel number 99 in binary is INVALID_ARGUMENT naming channel", async (protocol) => {
    await expectConnectError(
      server[protocol].start({ phoneNumber: "+12025550199", channel: 99 as Channel }),
      Code.InvalidArgument,
      /^channel 99 is not a known channel$/,
    );
  });

  test("Connect JSON: channel number 99 is INVALID_ARGUMENT naming channel", async () => {
    const response = await connectJson('{"phoneNumber":"+12025550199","channel":99}');
    expect(await response.json()).toEqual({ code: "invalid_argument", message: "channel 99 is not a known channel" });
  });

  test("gRPC Watch (server stream): a garbage frame ends the stream with grpc-status 3 and our message", async () => {
    const status = grpcStatus(await grpc(WATCH, garbage));
    expect(status).toEqual({ code: String(Code.InvalidArgument), message: "the request body is not a valid verify.v1.WatchRequest" });
  });

  test("gRPC-Web Watch (server stream): a garbage frame ends with a trailer frame of ours", async () => {
    const response = await grpcWeb(WATCH, "application/grpc-web+proto", garbage);
    const trailer = webTrailer(new Uint8Array(await response.arrayBuffer()));
    expect(trailer).toEqual({ code: String(Code.InvalidArgument), message: "the request body is not a valid verify.v1.WatchRequest" });
  });

  test("Connect streaming Watch: a garbage frame ends with an end-stream error of ours", async () => {
    const response = await h2(WATCH, { "content-type": "application/connect+proto" }, envelope(garbage));
    const frames = framesOf(new Uint8Array(response.body));
    const end = frames.find((frame) => frame.flags & 0x02);
    expect(JSON.parse(new TextDecoder().decode(end!.data))).toEqual({
      error: { code: "invalid_argument", message: "the request body is not a valid verify.v1.WatchRequest" },
    });
  });

  // connect-node's adapter threw here, inside the request listener: an uncaught exception that ended the process.
  test("an HTTP/1.0 request without a Host header answers 400 instead of throwing in the request listener", async () => {
    const reply = await rawHttp(server.app.port, `POST ${START} HTTP/1.0\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}`);
    expect(reply).toMatch(/^HTTP\/1\.[01] 400 /);
  });
});

interface RawResponse {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

function envelope(data: Uint8Array, flags = 0): Uint8Array {
  const framed = new Uint8Array(5 + data.byteLength);
  framed[0] = flags;
  new DataView(framed.buffer).setUint32(1, data.byteLength);
  framed.set(data, 5);
  return framed;
}

function framesOf(bytes: Uint8Array): { flags: number; data: Uint8Array }[] {
  const frames: { flags: number; data: Uint8Array }[] = [];
  for (let offset = 0; offset + 5 <= bytes.byteLength; ) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + offset + 1, 4).getUint32(0);
    frames.push({ flags: bytes[offset]!, data: bytes.subarray(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return frames;
}

/** The status of a gRPC response, from its trailers (or its headers, for a trailers-only answer), and that the parser's text is absent. */
function grpcStatus(response: RawResponse): { code: string; message: string } {
  const source = response.trailers["grpc-status"] === undefined ? response.headers : response.trailers;
  const message = decodeURIComponent(String(source["grpc-message"] ?? ""));
  expect(message).not.toMatch(LIBRARY_TEXT);
  return { code: String(source["grpc-status"]), message };
}

/** grpc-status and grpc-message of a gRPC-Web body's trailer frame (flag 0x80, never compressed here). */
function webTrailer(body: Uint8Array): { code: string; message: string } {
  const trailer = framesOf(body).find((frame) => frame.flags & 0x80);
  expect(trailer, "a trailer frame").toBeDefined();
  expect(trailer!.flags & 0x01, "an uncompressed trailer frame").toBe(0);
  const lines = new TextDecoder().decode(trailer!.data).split("\r\n");
  const field = (name: string) =>
    lines
      .find((line) => line.toLowerCase().startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim() ?? "";
  const message = decodeURIComponent(field("grpc-message"));
  expect(message).not.toMatch(LIBRARY_TEXT);
  return { code: field("grpc-status"), message };
}

/** Sends `request` as is over a fresh TCP connection and returns everything the server wrote before closing. */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.end(request));
    let reply = "";
    socket.on("data", (chunk) => (reply += chunk.toString("latin1"))).on("error", reject);
    socket.on("close", () => resolve(reply));
  });
}
