import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { startTestServer, type TestServer } from "../support/server.js";

const run = promisify(execFile);
const GRPCURL = resolve(".tools/bin/grpcurl");

// grpcurl is the tool operators reach for first; reflection is only useful if it works with it.
describe("grpcurl against a running verifyd", () => {
  let server: TestServer;
  const grpcurl = async (...args: string[]) => {
    const { stdout } = await run(GRPCURL, ["-plaintext", ...args.slice(0, -1), `127.0.0.1:${server.app.port}`, ...args.slice(-1)]);
    return stdout;
  };

  beforeAll(async () => {
    if (!existsSync(GRPCURL)) throw new Error(`${GRPCURL} is missing: run scripts/install-tools.sh`);
    // The embedded default configuration, as `verifyd serve` runs without --config.
    server = await startTestServer({ parsedConfig: loadConfig(undefined) });
  });
  afterAll(async () => server?.close());

  it("lists the served services through reflection", async () => {
    const services = (await run(GRPCURL, ["-plaintext", `127.0.0.1:${server.app.port}`, "list"])).stdout.trim().split("\n");
    expect(services).toEqual(expect.arrayContaining(["verify.v1.VerificationService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]));
  });

  it("describes a request message field by field", async () => {
    const { stdout } = await run(GRPCURL, ["-plaintext", `127.0.0.1:${server.app.port}`, "describe", "verify.v1.StartRequest"]);
    expect(stdout).toContain("string phone_number = 1;");
    expect(stdout).toContain("map<string, string> metadata = 8;");
  });

  it("starts a verification with a JSON body and reports health as SERVING", async () => {
    const started = JSON.parse(await grpcurl("-d", '{"phone_number":"+12025550177"}', "verify.v1.VerificationService/Start"));
    expect(started.verification.phoneNumber).toBe("+12025550177");
    expect(started.verification.status).toBe("VERIFICATION_STATUS_SUBMITTED");
    const health = JSON.parse(await grpcurl("grpc.health.v1.Health/Check"));
    expect(health.status).toBe("SERVING");
  });

  it("shows a NOT_FOUND status with its message for an unknown id", async () => {
    const failure = await run(GRPCURL, [
      "-plaintext",
      "-d",
      '{"verification_id":"ver_missing"}',
      `127.0.0.1:${server.app.port}`,
      "verify.v1.VerificationService/Get",
    ]).then(
      () => undefined,
      (error: { stderr: string }) => error.stderr,
    );
    expect(failure).toContain("Code: NotFound");
    expect(failure).toContain("verification ver_missing not found");
  });
});
