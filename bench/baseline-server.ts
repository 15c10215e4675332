/**
 * The two baselines issue 13 measures verifyd against, each forked by
 * throughput.ts into its own process and serving the same echo proto
 * (verify.bench.v1.EchoService) on 127.0.0.1 with h2c:
 *
 * - `grpc-js`: a bare @grpc/grpc-js server, the Node ceiling for gRPC;
 * - `connect-node`: a bare @connectrpc/connect-node server on node:http2
 *   (`connectNodeAdapter`), the library verifyd's general path builds on.
 *
 * Both serialize with @bufbuild/protobuf, as verifyd does, so the figures
 * compare serving stacks and not protobuf runtimes. Reports its port over IPC.
 */
import http2 from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { EchoRequestSchema, EchoResponseSchema, EchoService } from "../gen/verify/bench/v1/echo_pb.js";

export type BaselineKind = "grpc-js" | "connect-node";

async function grpcJs(): Promise<number> {
  const server = new grpc.Server();
  server.addService(
    {
      echo: {
        path: "/verify.bench.v1.EchoService/Echo",
        requestStream: false,
        responseStream: false,
        requestSerialize: (value: unknown) => Buffer.from(toBinary(EchoRequestSchema, value as never)),
        requestDeserialize: (bytes: Buffer) => fromBinary(EchoRequestSchema, bytes),
        responseSerialize: (value: unknown) => Buffer.from(toBinary(EchoResponseSchema, value as never)),
        responseDeserialize: (bytes: Buffer) => fromBinary(EchoResponseSchema, bytes),
      },
    },
    {
      echo: (call: grpc.ServerUnaryCall<{ message: string }, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        callback(null, { $typeName: "verify.bench.v1.EchoResponse", message: call.request.message });
      },
    },
  );
  return new Promise((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
  });
}

async function connectNode(): Promise<number> {
  const handler = connectNodeAdapter({
    routes: (router) => router.service(EchoService, { echo: (request) => ({ message: request.message }) }),
  });
  const server = http2.createServer(handler);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
}

const kind = process.argv[2] as BaselineKind;
const port = await (kind === "grpc-js" ? grpcJs() : connectNode());
process.send?.({ type: "listening", port });
process.on("disconnect", () => process.exit(0));
