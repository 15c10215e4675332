/**
 * What a first run with curl and a log tail shows (issue 12): JSON answers
 * with their defaults, a streaming RPC posted as plain JSON told what to send,
 * the message in the number's language, one log line per outcome and per
 * failover with the number masked, and a client that leaves is not an error.
 */
import http2 from "node:http2";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/telemetry/logger.js";
import { eventually } from "../support/eventually.js";
import { startTestServer, type TestServer } from "../support/server.js";

const DELIVER = { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 30 };
const SCENARIO = {
  providers: [
    {
      name: "sim-a",
      type: "simulator",
      channels: ["sms"],
      simulate: { default: DELIVER, rules: [{ match: "+1202555011*", outcome: "reject", error: "no_route" }] },
    },
    { name: "sim-b", type: "simulator", channels: ["sms"], simulate: { default: DELIVER } },
  ],
  messages: { templates: { nl: { sms: "{brand}: uw code is {code}" } } },
};

const lines: Array<Record<string, unknown>> = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: SCENARIO, logger: createLogger("debug", destination) });
});
afterAll(() => server.close());

async function postJson(path: string, body: unknown, contentType = "application/json"): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("Connect JSON answers", () => {
  it("carry approved: false, and every other field, for a wrong code", async () => {
    const started = await postJson("/verify.v1.VerificationService/Start", { phoneNumber: "+12025550100" });
    const { verification } = started.body as { verification: { id: string } };

    const checked = await postJson("/verify.v1.VerificationService/Check", { verificationId: verification.id, code: "000000" });

    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ approved: false, verification: { id: verification.id, checkAttemptsRemaining: 4, fallbackChannels: [] } });
  });

  it("a streaming RPC posted as plain JSON answers 415, saying what to send instead", async () => {
    const answer = await postJson("/verify.v1.VerificationService/Watch", { verificationId: "ver_x" });

    expect(answer.status).toBe(415);
    expect(answer.body.message).toContain("verify.v1.VerificationService/Watch is a streaming RPC");
    expect(answer.body.message).toContain("application/connect+json");
  });
});

describe("the message's language, when the caller names no locale", () => {
  it.each([
    ["+4915123456789", "de-DE", "Bestätigungscode"],
    ["+5511987654321", "pt-BR", "seu código é"],
    ["+31612345678", "nl-NL", "uw code is"],
    // Belgium has no one language: the policy's default.
    ["+32470123456", "en", "your verification code is"],
  ])("%s gets %s", async (phoneNumber, locale, text) => {
    const { verification } = await server.connectH1.start({ phoneNumber });

    expect(verification?.locale).toBe(locale);
    const [message] = await server.waitForOutbox(phoneNumber, 1);
    expect(message!.body).toContain(text);
  });

  it("the caller's locale wins", async () => {
    const { verification } = await server.connectH1.start({ phoneNumber: "+4915123456780", locale: "en" });

    expect(verification?.locale).toBe("en");
    expect((await server.waitForOutbox("+4915123456780", 1))[0]!.body).toContain("your verification code is");
  });
});

describe("the log at info", () => {
  it("has one line per failover and per outcome, the number masked and no code", async () => {
    const phoneNumber = "+12025550111";
    const { verification } = await server.connectH1.start({ phoneNumber });
    const id = verification!.id;
    const code = await server.codeSentTo(phoneNumber);
    await server.connectH1.check({ verificationId: id, code });
    const canceled = (await server.connectH1.start({ phoneNumber: "+12025550199" })).verification!.id;
    await server.connectH1.cancel({ verificationId: canceled });

    const mine = await eventually(() => {
      const found = lines.filter((line) => line.verificationId === id || line.verificationId === canceled);
      expect(found).toHaveLength(3);
      return found;
    });
    expect(mine[0]).toMatchObject({
      level: 30,
      msg: "failover from sim-a to sim-b: rejected: no_route",
      phoneNumber: "+12*****0111",
      country: "US",
      channel: "sms",
      from: "sim-a",
      to: "sim-b",
      attempt: 2,
    });
    expect(mine[1]).toMatchObject({ level: 30, msg: "verification verified", phoneNumber: "+12*****0111", status: "verified", attempts: 2, provider: "sim-b" });
    expect(mine[1]!.durationMs).toEqual(expect.any(Number));
    expect(mine[2]).toMatchObject({ level: 30, msg: "verification canceled", phoneNumber: "+12*****0199", status: "canceled" });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(phoneNumber);
    expect(text).not.toContain(`"${code}"`);
  });
});

describe("a client that leaves", () => {
  it("mid-stream (a reflection client that resets its stream, or disconnects) is not logged as an error", async () => {
    for (const how of ["reset", "disconnect"] as const) {
      const session = http2.connect(server.url);
      const stream = session.request({
        ":method": "POST",
        ":path": "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "content-type": "application/grpc",
        te: "trailers",
      });
      // list_services (field 7, an empty string), in a gRPC frame; the stream stays open for more requests.
      stream.write(Buffer.from([0, 0, 0, 0, 2, 0x3a, 0]));
      await new Promise((resolve) => stream.once("data", resolve));
      if (how === "reset") stream.close(http2.constants.NGHTTP2_CANCEL);
      session.destroy();
    }

    // The disconnect used to be logged as an error ("unexpected error": Premature close); now it is a debug line.
    const gone = await eventually(() => {
      const line = lines.find((candidate) => candidate.msg === "the caller went away");
      expect(line).toBeDefined();
      return line;
    });
    expect(gone).toMatchObject({ level: 20, procedure: expect.stringContaining("ServerReflectionInfo"), reason: "Premature close" });
    expect(lines.filter((line) => Number(line.level) >= 50)).toEqual([]);
  });
});
