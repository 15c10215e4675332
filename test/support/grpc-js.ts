/**
 * A @grpc/grpc-js client for any generated service, the client most gRPC
 * services in the wild use: the service definition is built from the
 * protobuf-es descriptor, with toBinary/fromBinary as the (de)serializers, so
 * no proto-loader and no second code generator.
 */
import {
  create,
  type DescMessage,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type DescService,
  fromBinary,
  type Message,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

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
