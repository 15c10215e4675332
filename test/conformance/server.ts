/**
 * The server under test for the Connect conformance suite (`connectconformance
 * --mode server`, see conformance.test.ts): verifyd's own serving stack
 * (startApp: the one-port HTTP/1.1 + h2c listener, rpc-handler.ts, its
 * interceptors and limits) with the suite's ConformanceService mounted through
 * `extraRoutes`, exactly as the benchmark mounts its echo.
 *
 * The runner writes a size-delimited ServerCompatRequest (a 4-byte big-endian
 * length, then the message) to stdin; this program answers with a
 * ServerCompatResponse (host, port) on stdout the same way, then serves until
 * SIGTERM. Nothing else may be written to stdout (the app logs nowhere).
 *
 * The handlers follow the suite's docs/testing_servers.md: echo what was
 * received (headers, timeout, every request as an Any), set the response
 * headers and trailers asked for, wait the delays asked for, answer the data
 * or the error asked for (with the request info as an error detail).
 */
import { create, createRegistry, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type Any, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { type Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { type App, startApp } from "../../src/server/app.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { testConfig } from "../support/config.js";
import { HTTPVersion } from "./gen/connectrpc/conformance/v1/config_pb.js";
import { ServerCompatRequestSchema, ServerCompatResponseSchema } from "./gen/connectrpc/conformance/v1/server_compat_pb.js";
import {
  BidiStreamRequestSchema,
  ClientStreamRequestSchema,
  type Error as ConformanceError,
  type ConformancePayload_RequestInfo,
  ConformancePayload_RequestInfoSchema,
  ConformancePayloadSchema,
  ConformanceService,
  file_connectrpc_conformance_v1_service,
  type Header,
  HeaderSchema,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  type StreamResponseDefinition,
  UnaryRequestSchema,
  type UnaryResponseDefinition,
} from "./gen/connectrpc/conformance/v1/service_pb.js";

/** The request messages, for the `Any`s echoed in JSON, and the detail the suite's errors carry. */
const registry = createRegistry(
  UnaryRequestSchema,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  ClientStreamRequestSchema,
  BidiStreamRequestSchema,
  ConformancePayload_RequestInfoSchema,
);

/**
 * rpc-handler.ts's own JSON options (unknown fields refused, every field written), plus the registry the
 * `Any`s need: per-service options replace the router's `jsonOptions` whole, so they are repeated here.
 */
const JSON_OPTIONS = { ignoreUnknownFields: false, alwaysEmitImplicit: true, registry };

function headersToProto(headers: Headers): Header[] {
  const out: Header[] = [];
  headers.forEach((value, name) => {
    out.push(create(HeaderSchema, { name, value: [value] }));
  });
  return out;
}

function appendHeaders(target: Headers, headers: readonly Header[] | undefined): void {
  for (const header of headers ?? []) for (const value of header.value) target.append(header.name, value);
}

function requestInfo(ctx: HandlerContext, requests: Any[]): ConformancePayload_RequestInfo {
  const timeoutMs = ctx.timeoutMs();
  const info = create(ConformancePayload_RequestInfoSchema, { requestHeaders: headersToProto(ctx.requestHeader), requests });
  if (timeoutMs !== undefined) info.timeoutMs = BigInt(timeoutMs);
  if (ctx.requestMethod === "GET") {
    const queryParams: Header[] = [];
    new URL(ctx.url).searchParams.forEach((value, name) => {
      queryParams.push(create(HeaderSchema, { name, value: [value] }));
    });
    info.connectGetInfo = { $typeName: "connectrpc.conformance.v1.ConformancePayload.ConnectGetInfo", queryParams };
  }
  return info;
}

/** The error the suite asked for, with the request info appended to its details when given. */
function errorOf(error: ConformanceError, info?: ConformancePayload_RequestInfo): ConnectError {
  const details: { desc: DescMessage; value: MessageShape<DescMessage> }[] = [];
  for (const any of error.details) {
    const message = anyUnpack(any, registry);
    if (!message) throw new Error(`cannot unpack error detail ${any.typeUrl}`);
    details.push({ desc: registry.getMessage(message.$typeName)!, value: message });
  }
  if (info) details.push({ desc: ConformancePayload_RequestInfoSchema, value: info });
  return new ConnectError(error.message ?? "", error.code as number as Code, undefined, details);
}

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

async function answerUnary(definition: UnaryResponseDefinition | undefined, requests: Any[], ctx: HandlerContext) {
  appendHeaders(ctx.responseHeader, definition?.responseHeaders);
  appendHeaders(ctx.responseTrailer, definition?.responseTrailers);
  const info = requestInfo(ctx, requests);
  await sleep(definition?.responseDelayMs ?? 0);
  if (definition?.response.case === "error") throw errorOf(definition.response.value, info);
  const data = definition?.response.case === "responseData" ? definition.response.value : undefined;
  return { payload: create(ConformancePayloadSchema, { requestInfo: info, ...(data ? { data } : {}) }) };
}

function conformanceRoutes(router: ConnectRouter, readMaxBytes: number): void {
  router.service(
    ConformanceService,
    {
      unary: (request, ctx) => answerUnary(request.responseDefinition, [anyPack(UnaryRequestSchema, request)], ctx),
      idempotentUnary: (request, ctx) => answerUnary(request.responseDefinition, [anyPack(IdempotentUnaryRequestSchema, request)], ctx),
      async clientStream(requests, ctx) {
        let definition: UnaryResponseDefinition | undefined;
        const received: Any[] = [];
        for await (const request of requests) {
          if (received.length === 0) definition = request.responseDefinition;
          received.push(anyPack(ClientStreamRequestSchema, request));
        }
        return answerUnary(definition, received, ctx);
      },
      async *serverStream(request, ctx) {
        const definition = request.responseDefinition;
        appendHeaders(ctx.responseHeader, definition?.responseHeaders);
        appendHeaders(ctx.responseTrailer, definition?.responseTrailers);
        const info = requestInfo(ctx, [anyPack(ServerStreamRequestSchema, request)]);
        yield* respond(definition, info, 0);
      },
      async *bidiStream(requests, ctx) {
        let definition: StreamResponseDefinition | undefined;
        let fullDuplex = false;
        let sent = 0;
        let received: Any[] = [];
        let first = true;
        for await (const request of requests) {
          if (first) {
            first = false;
            definition = request.responseDefinition;
            fullDuplex = request.fullDuplex;
            appendHeaders(ctx.responseHeader, definition?.responseHeaders);
            appendHeaders(ctx.responseTrailer, definition?.responseTrailers);
          }
          received.push(anyPack(BidiStreamRequestSchema, request));
          if (!fullDuplex) continue;
          // Full duplex: one response per request, each echoing the requests since the last one.
          const data = definition?.responseData[sent];
          if (data === undefined) break;
          await sleep(definition?.responseDelayMs ?? 0);
          yield { payload: create(ConformancePayloadSchema, { requestInfo: requestInfo(ctx, received), data }) };
          sent++;
          received = [];
        }
        // Half duplex (nothing sent yet), or full duplex asked for more responses than it sent requests.
        yield* respond(definition, requestInfo(ctx, received), sent);
      },
    },
    { jsonOptions: JSON_OPTIONS, ...(readMaxBytes > 0 ? { readMaxBytes } : {}) },
  );
}

/** The responses of `definition` from index `from` (the first one sent carries `info`), then its error if any. */
async function* respond(definition: StreamResponseDefinition | undefined, info: ConformancePayload_RequestInfo, from: number) {
  const data = definition?.responseData ?? [];
  for (let index = from; index < data.length; index++) {
    await sleep(definition?.responseDelayMs ?? 0);
    yield { payload: create(ConformancePayloadSchema, { ...(index === 0 ? { requestInfo: info } : {}), data: data[index]! }) };
  }
  if (definition?.error) throw errorOf(definition.error, data.length === 0 ? info : undefined);
}

/** Reads one size-delimited message from stdin (the runner may keep stdin open). */
async function readDelimited(): Promise<Uint8Array> {
  let buffered = Buffer.alloc(0);
  for await (const chunk of process.stdin) {
    buffered = Buffer.concat([buffered, chunk as Buffer]);
    if (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) break;
  }
  if (buffered.length < 4 || buffered.length < 4 + buffered.readUInt32BE(0)) throw new Error("stdin ended before a whole ServerCompatRequest");
  return buffered.subarray(4, 4 + buffered.readUInt32BE(0));
}

function writeDelimited(bytes: Uint8Array): void {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.byteLength);
  process.stdout.write(Buffer.concat([length, bytes]));
}

async function main(): Promise<void> {
  const request = fromBinary(ServerCompatRequestSchema, await readDelimited());
  // One port serves HTTP/1.1 and h2c alike; TLS and HTTP/3 are not claimed (config.yaml).
  if (request.useTls) throw new Error("TLS is not claimed in test/conformance/config.yaml");
  if (request.httpVersion === HTTPVersion.HTTP_VERSION_3) throw new Error("HTTP/3 is not claimed in test/conformance/config.yaml");
  const app: App = await startApp(testConfig(), {
    logger: createLogger("silent"),
    port: 0,
    host: "127.0.0.1",
    extraRoutes: (router) => conformanceRoutes(router, request.messageReceiveLimit),
    extraFiles: [file_connectrpc_conformance_v1_service],
  });
  // The runner sends SIGTERM once it is done with this server: nothing is left to drain.
  process.once("SIGTERM", () => process.exit(0));
  writeDelimited(toBinary(ServerCompatResponseSchema, create(ServerCompatResponseSchema, { host: "127.0.0.1", port: app.port })));
}

main().catch((error: unknown) => {
  console.error("conformance server:", error);
  process.exit(1);
});
