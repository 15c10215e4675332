/**
 * TLS on the one port: ALPN picks HTTP/2 or HTTP/1.1 and every protocol is
 * still served over both; with `client_ca`, a client must present a
 * certificate that CA signed (mTLS). Certificates are made for each run
 * (test/support/tls.ts).
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type CheckResponse,
  CheckResponseSchema,
  StartRequestSchema,
  type StartResponse,
  StartResponseSchema,
  VerificationService,
} from "../../gen/verify/v1/verify_pb.js";
import { parseConfig } from "../../src/config/load-config.js";
import { testConfigYaml } from "../support/config.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { createTestCertificates, type Pair, type TestCertificates } from "../support/tls.js";
import { silentConnections, waitClosed } from "./support/attacks.js";
import { CheckProbe } from "./support/probe.js";

let certs: TestCertificates;
beforeAll(() => {
  certs = createTestCertificates();
});
afterAll(() => certs?.remove());

type ClientTls = { ca: string; cert?: string; key?: string };

/** Every client kind the harness has, over TLS to `port`. */
function tlsTransports(port: number, clientTls: ClientTls): Record<string, Transport> {
  const baseUrl = `https://127.0.0.1:${port}`;
  // The certificate names localhost too; naming it keeps Node from warning about an IP address as SNI.
  const tls = { ...clientTls, servername: "localhost" };
  return {
    "Connect over HTTP/1.1": createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions: tls }),
    "Connect over HTTP/2": createConnectTransport({ baseUrl, httpVersion: "2", nodeOptions: tls }),
    "gRPC (connect-node)": createGrpcTransport({ baseUrl, nodeOptions: tls }),
    "gRPC-Web over HTTP/1.1": createGrpcWebTransport({ baseUrl, httpVersion: "1.1", nodeOptions: tls }),
  };
}

/** Start then Check through @grpc/grpc-js with SSL credentials (client certificate optional). */
async function startAndCheckOverGrpcJs(port: number, credentials: grpc.ChannelCredentials, phoneNumber: string): Promise<CheckResponse> {
  // As above: the certificate's DNS name, not the IP address, as SNI.
  const client = new grpc.Client(`127.0.0.1:${port}`, credentials, { "grpc.ssl_target_name_override": "localhost" });
  const unary = <O>(path: string, bytes: Uint8Array, decode: (bytes: Buffer) => O) =>
    new Promise<O>((resolve, reject) => {
      client.makeUnaryRequest(
        `/verify.v1.VerificationService/${path}`,
        (body: Uint8Array) => Buffer.from(body),
        decode,
        bytes,
        { deadline: Date.now() + 5_000 },
        (error, response) => (error ? reject(error) : resolve(response!)),
      );
    });
  try {
    const started = await unary<StartResponse>("Start", toBinary(StartRequestSchema, create(StartRequestSchema, { phoneNumber })), (bytes) =>
      fromBinary(StartResponseSchema, bytes),
    );
    const check = { verificationId: started.verification!.id, code: "000000" };
    return await unary<CheckResponse>("Check", toBinary(VerificationService.method.check.input, create(VerificationService.method.check.input, check)), (bytes) =>
      fromBinary(CheckResponseSchema, bytes),
    );
  } finally {
    client.close();
  }
}

function serverTls(extra: { client_ca?: string } = {}) {
  return { server: { tls: { cert: certs.server.certPath, key: certs.server.keyPath, ...extra } } };
}

function sslCredentials(client?: Pair): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(certs.ca.cert), client ? Buffer.from(client.key) : null, client ? Buffer.from(client.cert) : null);
}

describe("server.tls without client_ca", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: serverTls() });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("every protocol is answered over TLS, ALPN choosing HTTP/2 or HTTP/1.1", async () => {
    const transports = tlsTransports(server.app.port, { ca: certs.ca.cert });
    let line = 0;
    for (const [name, transport] of Object.entries(transports)) {
      const client = createClient(VerificationService, transport);
      const phoneNumber = `+1202555030${line++}`;
      const { verification } = await client.start({ phoneNumber });
      const checked = await client.check({ verificationId: verification!.id, code: "000000" });
      expect(checked.approved, name).toBe(false);
      expect(checked.verification?.checkAttemptsRemaining, name).toBe(4);
    }
    const overGrpcJs = await startAndCheckOverGrpcJs(server.app.port, sslCredentials(), "+12025550310");
    expect(overGrpcJs.approved).toBe(false);
  });

  test("a cleartext client gets no answer from a TLS port", async () => {
    const plain = createClient(VerificationService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.app.port}` }));
    await expect(plain.get({ verificationId: "ver_none" }, { timeoutMs: 2_000 })).rejects.toThrow();
  });

  test("the probe keeps answering over TLS", async () => {
    const probe = await CheckProbe.start({ url: `https://127.0.0.1:${server.app.port}`, tls: { ca: certs.ca.cert }, phoneNumber: "+12025550311" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stats = await probe.stop();
    expect(stats.failures).toEqual([]);
    expect(stats.answered).toBeGreaterThan(0);
  });
});

describe("server.tls with client_ca (mTLS)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: serverTls({ client_ca: certs.ca.certPath }) });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("a client presenting a certificate the CA signed is answered, over every protocol and grpc-js", async () => {
    const transports = tlsTransports(server.app.port, { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key });
    let line = 0;
    for (const [name, transport] of Object.entries(transports)) {
      const { verification } = await createClient(VerificationService, transport).start({ phoneNumber: `+1202555032${line++}` });
      expect(verification?.id, name).toMatch(/^ver_/);
    }
    const overGrpcJs = await startAndCheckOverGrpcJs(server.app.port, sslCredentials(certs.client), "+12025550330");
    expect(overGrpcJs.approved).toBe(false);
  });

  test("a client without a certificate is refused, over HTTP/2 and HTTP/1.1 and through grpc-js", async () => {
    for (const [name, transport] of Object.entries(tlsTransports(server.app.port, { ca: certs.ca.cert }))) {
      await expect(createClient(VerificationService, transport).get({ verificationId: "ver_none" }, { timeoutMs: 3_000 }), name).rejects.toThrow();
    }
    await expect(startAndCheckOverGrpcJs(server.app.port, sslCredentials(), "+12025550340")).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  test("a client whose certificate another CA signed is refused", async () => {
    const stranger = { ca: certs.ca.cert, cert: certs.strangerClient.cert, key: certs.strangerClient.key };
    for (const [name, transport] of Object.entries(tlsTransports(server.app.port, stranger))) {
      await expect(createClient(VerificationService, transport).get({ verificationId: "ver_none" }, { timeoutMs: 3_000 }), name).rejects.toThrow();
    }
    await expect(startAndCheckOverGrpcJs(server.app.port, sslCredentials(certs.strangerClient), "+12025550341")).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
  });
});

describe("server.tls with a 500 ms headers_timeout", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: [serverTls(), { server: { headers_timeout: "500ms" } }] });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("connections that never finish their handshake (silent, or a few bytes of a ClientHello) are closed at headers_timeout", async () => {
    const helloStart = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
    const sockets = await silentConnections(server.app.port, 20, (index) => (index % 2 === 0 ? Buffer.alloc(0) : helloStart));
    expect(await waitClosed(sockets, 2_000)).toBe(0);
  });
});

describe("server.tls configuration", () => {
  const parse = (tls: Record<string, string>) => parseConfig(testConfigYaml({ server: { tls } }), {}, "config");

  test("the PEM files are read when the configuration is loaded", () => {
    const config = parse({ cert: certs.server.certPath, key: certs.server.keyPath, client_ca: certs.ca.certPath });
    expect(config.server.tls?.cert).toBe(certs.server.cert);
    expect(config.server.tls?.client_ca).toBe(certs.ca.cert);
  });

  test("a file that cannot be read is an error naming the key", () => {
    expect(() => parse({ cert: `${certs.dir}/missing.crt`, key: certs.server.keyPath })).toThrow(/^config: server\.tls\.cert: cannot read ".*missing\.crt": ENOENT/);
  });

  test("a file that is not PEM is an error naming the key", () => {
    expect(() => parse({ cert: certs.server.certPath, key: `${certs.dir}/server.ext` })).toThrow(/^config: server\.tls\.key: ".*server\.ext" is not a PEM file/);
  });

  test("a key that does not belong to the certificate is refused at load time", () => {
    expect(() => parse({ cert: certs.server.certPath, key: certs.client.keyPath })).toThrow(
      /^config: server\.tls: the certificate, key and client_ca do not make a TLS context/,
    );
  });
});
