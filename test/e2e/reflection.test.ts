import { createFileRegistry, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { E2E_SCENARIO } from "./scenario.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
});

afterAll(async () => {
  await server?.close();
});

// v1alpha has the same messages under another package; one client shape serves both.
const versions = [
  ["grpc.reflection.v1", v1.ServerReflection],
  ["grpc.reflection.v1alpha", v1alpha.ServerReflection as unknown as typeof v1.ServerReflection],
] as const;

describe.each(versions)("%s.ServerReflection over gRPC", (_, service) => {
  /** Sends the requests on one bidi stream, as grpcurl does, and collects the answers. */
  async function reflect(requests: MessageInitShape<typeof v1.ServerReflectionRequestSchema>[]): Promise<v1.ServerReflectionResponse[]> {
    const client = createClient(service, server.transports.grpc);
    async function* send() {
      for (const request of requests) yield request;
    }
    const responses: v1.ServerReflectionResponse[] = [];
    for await (const response of client.serverReflectionInfo(send())) responses.push(response);
    expect(responses).toHaveLength(requests.length);
    return responses;
  }

  function descriptors(response: v1.ServerReflectionResponse | undefined): FileDescriptorProto[] {
    const answer = response?.messageResponse;
    if (answer?.case === "errorResponse") throw new Error(`expected file descriptors, got error ${answer.value.errorCode}: ${answer.value.errorMessage}`);
    if (answer?.case !== "fileDescriptorResponse") throw new Error(`expected file descriptors, got ${answer?.case}`);
    return answer.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
  }

  test("list_services names VerificationService, Health and both reflection services", async () => {
    const [response] = await reflect([{ messageRequest: { case: "listServices", value: "" } }]);
    const answer = response!.messageResponse;
    if (answer.case !== "listServicesResponse") throw new Error(`expected a service list, got ${answer.case}`);
    const names = answer.value.service.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "verify.v1.VerificationService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
  });

  test("file_containing_symbol for verify.v1.VerificationService returns decodable descriptors with their imports", async () => {
    const [response] = await reflect([{ host: "localhost", messageRequest: { case: "fileContainingSymbol", value: "verify.v1.VerificationService" } }]);
    expect(response!.validHost).toBe("localhost");
    const files = descriptors(response);
    expect(files.map((file) => file.name)).toEqual(expect.arrayContaining(["verify/v1/verify.proto", "google/protobuf/timestamp.proto"]));

    // Complete enough for a client to rebuild the service from them, as grpcurl describe does.
    // The requested file comes first and its imports after it, so resolve imports by name.
    const [main] = files;
    const registry = createFileRegistry(main!, (name) => files.find((file) => file.name === name));
    const rebuilt = registry.getService("verify.v1.VerificationService");
    expect(rebuilt?.methods.map((method) => method.name)).toEqual(["Start", "Check", "Watch", "Resend", "Cancel", "Get"]);
    expect(registry.getMessage("verify.v1.Verification")?.field.expiresAt?.message?.typeName).toBe("google.protobuf.Timestamp");
  });

  test("methods and messages resolve to their file as well, several requests on one stream", async () => {
    const responses = await reflect([
      { messageRequest: { case: "fileContainingSymbol", value: "verify.v1.VerificationService.Start" } },
      { messageRequest: { case: "fileContainingSymbol", value: "verify.v1.StartRequest" } },
      { messageRequest: { case: "fileContainingSymbol", value: "grpc.health.v1.Health" } },
    ]);
    expect(descriptors(responses[0])[0]!.name).toBe("verify/v1/verify.proto");
    expect(descriptors(responses[1])[0]!.name).toBe("verify/v1/verify.proto");
    expect(descriptors(responses[2])[0]!.name).toBe("grpc/health/v1/health.proto");
  });

  test("file_by_filename returns a file by its .proto name, as the descriptors name it", async () => {
    const responses = await reflect([
      { messageRequest: { case: "fileByFilename", value: "verify/v1/verify.proto" } },
      { messageRequest: { case: "fileByFilename", value: "google/protobuf/timestamp.proto" } },
    ]);
    expect(descriptors(responses[0])[0]!.name).toBe("verify/v1/verify.proto");
    expect(descriptors(responses[1])[0]!.name).toBe("google/protobuf/timestamp.proto");
  });

  test("an unknown symbol gets an error_response with NOT_FOUND", async () => {
    const [response] = await reflect([{ messageRequest: { case: "fileContainingSymbol", value: "no.such.Service" } }]);
    const answer = response!.messageResponse;
    if (answer.case !== "errorResponse") throw new Error(`expected an error response, got ${answer.case}`);
    expect(answer.value.errorCode).toBe(5);
    expect(answer.value.errorMessage).toMatch(/no\.such\.Service/);
  });
});
