import { create, type DescFile, type DescMessage, toBinary } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

type ReflectionRequest = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;

/**
 * gRPC server reflection (v1, and v1alpha for older grpcurl), so that
 * `grpcurl -plaintext localhost:8080 list` and `describe` work with no proto
 * files at hand.
 */
export function registerReflection(router: ConnectRouter, files: readonly DescFile[], services: readonly string[]): void {
  const registry = new SymbolIndex(files);
  const answer = (request: ReflectionRequest) => respond(registry, services, request);
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield create(v1.ServerReflectionResponseSchema, answer(request) as never);
    },
  });
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield create(v1alpha.ServerReflectionResponseSchema, answer(request) as never);
    },
  });
}

function respond(registry: SymbolIndex, services: readonly string[], request: ReflectionRequest) {
  const base = { validHost: request.host, originalRequest: request };
  const error = (message: string) => ({
    ...base,
    messageResponse: { case: "errorResponse" as const, value: { errorCode: 5 /* NOT_FOUND */, errorMessage: message } },
  });
  const files = (file: DescFile | undefined) =>
    file ? { ...base, messageResponse: { case: "fileDescriptorResponse" as const, value: { fileDescriptorProto: withDependencies(file) } } } : undefined;
  const what = request.messageRequest;
  switch (what.case) {
    case "listServices":
      return {
        ...base,
        messageResponse: { case: "listServicesResponse" as const, value: { service: services.map((name) => ({ name })) } },
      };
    case "fileByFilename":
      return files(registry.getFile(what.value)) ?? error(`file "${what.value}" not found`);
    case "fileContainingSymbol":
      return files(registry.fileOfSymbol(what.value)) ?? error(`symbol "${what.value}" not found`);
    case "fileContainingExtension":
      return error(`extension ${what.value.containingType}:${what.value.extensionNumber} not found`);
    case "allExtensionNumbersOfType": {
      if (!registry.fileOfSymbol(what.value)) return error(`type "${what.value}" not found`);
      return { ...base, messageResponse: { case: "allExtensionNumbersResponse" as const, value: { baseTypeName: what.value, extensionNumber: [] } } };
    }
    default:
      return error("unsupported reflection request");
  }
}

/** Files by name, and the file that declares each service, method, message, enum and field. */
class SymbolIndex {
  readonly #files = new Map<string, DescFile>();
  readonly #symbols = new Map<string, DescFile>();

  constructor(roots: readonly DescFile[]) {
    const visit = (file: DescFile) => {
      if (this.#files.has(file.proto.name)) return;
      this.#files.set(file.proto.name, file);
      for (const type of nestedTypes(file)) {
        this.#symbols.set(type.typeName, file);
        if (type.kind === "service") for (const method of type.methods) this.#symbols.set(`${type.typeName}.${method.name}`, file);
        if (type.kind === "message") for (const field of (type as DescMessage).fields) this.#symbols.set(`${type.typeName}.${field.name}`, file);
      }
      file.dependencies.forEach(visit);
    };
    roots.forEach(visit);
  }

  getFile(name: string): DescFile | undefined {
    return this.#files.get(name);
  }

  fileOfSymbol(symbol: string): DescFile | undefined {
    return this.#symbols.get(symbol);
  }
}

/** The file and everything it imports: grpcurl needs the whole closure to describe a type. */
function withDependencies(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (current: DescFile) => {
    if (seen.has(current.name)) return;
    seen.add(current.name);
    out.push(toBinary(FileDescriptorProtoSchema, current.proto));
    current.dependencies.forEach(visit);
  };
  visit(file);
  return out;
}
