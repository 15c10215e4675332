import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AttemptStatus, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { twilioSignature } from "../../src/providers/twilio/signature.js";
import { StandInServer } from "../providers/support/stand-in-server.js";
import { startTestServer, type TestServer, type VerificationClient } from "../support/server.js";

const ACCOUNT_SID = "AC00000000000000000000000000000001";
const AUTH_TOKEN = "test-auth-token-0123456789abcdef";

/** What Twilio answers to an accepted Messages request (abridged to the fields verifyd reads). */
const accepted = (sid: string, to: string) => ({
  status: 201,
  body: { sid, status: "queued", to, from: "+15005550006", account_sid: ACCOUNT_SID, error_code: null, error_message: null },
});

// The whole path through a real provider adapter: Start → the provider's REST API → its receipt
// posted back to the callback URL verifyd gave → the verification's state.
describe("a Twilio-backed verification end to end", () => {
  let twilio: StandInServer;
  let server: TestServer;
  let client: VerificationClient;

  beforeAll(async () => {
    twilio = await StandInServer.start();
    server = await startTestServer({
      config: {
        providers: [
          {
            name: "twilio",
            type: "twilio",
            channels: ["sms"],
            base_url: twilio.url,
            account_sid: ACCOUNT_SID,
            auth_token: AUTH_TOKEN,
            from: "+15005550006",
          },
          { name: "backup", type: "simulator", channels: ["sms"] },
        ],
        routing: { default: ["twilio", "backup"] },
      },
    });
    client = server.connectH1;
  });
  afterAll(async () => {
    await server?.close();
    await twilio?.close();
  });
  beforeEach(() => twilio.reset());

  it("becomes DELIVERED when Twilio posts a signed delivered receipt to the callback URL it was given", async () => {
    twilio.route("POST", `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, (request) => accepted("SM0001", request.query.get("To") ?? ""));
    const { verification } = await client.start({ phoneNumber: "+12025550181" });
    expect(verification?.status).toBe(VerificationStatus.SUBMITTED);
    expect(verification?.attempts[0]?.providerMessageId).toBe("SM0001");

    const sent = twilio.requestsTo(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`)[0]!;
    const form = new URLSearchParams(sent.text);
    expect(form.get("To")).toBe("+12025550181");
    const callback = form.get("StatusCallback")!;
    expect(callback).toBe(`${server.url}/webhooks/twilio/${verification!.id}/1`);

    const receipt = new URLSearchParams({ MessageSid: "SM0001", MessageStatus: "delivered", AccountSid: ACCOUNT_SID, To: "+12025550181" });
    const posted = await fetch(callback, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature(AUTH_TOKEN, callback, receipt) },
      body: receipt,
    });
    expect(posted.status).toBe(200);
    const after = await client.get({ verificationId: verification!.id });
    expect(after.verification?.status).toBe(VerificationStatus.DELIVERED);
    expect(after.verification?.attempts[0]?.status).toBe(AttemptStatus.DELIVERED);
  });

  it("refuses a receipt with a forged signature and changes nothing", async () => {
    twilio.route("POST", `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, (request) => accepted("SM0002", request.query.get("To") ?? ""));
    const { verification } = await client.start({ phoneNumber: "+12025550182" });
    const callback = `${server.url}/webhooks/twilio/${verification!.id}/1`;
    const receipt = new URLSearchParams({ MessageSid: "SM0002", MessageStatus: "delivered", AccountSid: ACCOUNT_SID });
    const posted = await fetch(callback, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature("not-the-token", callback, receipt) },
      body: receipt,
    });
    expect(posted.status).toBe(403);
    const after = await client.get({ verificationId: verification!.id });
    expect(after.verification?.status).toBe(VerificationStatus.SUBMITTED);
  });

  it("fails over to the next provider inside Start when Twilio rejects with error 21408", async () => {
    twilio.route("POST", `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
      status: 400,
      body: {
        code: 21408,
        message: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
        more_info: "https://www.twilio.com/docs/errors/21408",
        status: 400,
      },
    });
    const { verification } = await client.start({ phoneNumber: "+12025550183" });
    expect(verification?.attempts.map((attempt) => [attempt.provider, attempt.status])).toEqual([
      ["twilio", AttemptStatus.REJECTED],
      ["backup", AttemptStatus.SUBMITTED],
    ]);
    expect(verification?.attempts[0]?.error).toMatch(/^no_route: /);
    expect(verification?.status).toBe(VerificationStatus.SUBMITTED);
  });

  it("answers 413 to an oversized receipt and 404 to a provider without webhooks, changing nothing", async () => {
    twilio.route("POST", `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, (request) => accepted("SM0004", request.query.get("To") ?? ""));
    const { verification } = await client.start({ phoneNumber: "+12025550184" });
    const huge = await fetch(`${server.url}/webhooks/twilio/${verification!.id}/1`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=".padEnd(100_000, "x"),
    });
    expect(huge.status).toBe(413);
    const unknown = await fetch(`${server.url}/webhooks/backup/${verification!.id}/1`, { method: "POST", body: "x" });
    expect(unknown.status).toBe(404);
    const after = await client.get({ verificationId: verification!.id });
    expect(after.verification?.status).toBe(VerificationStatus.SUBMITTED);
  });
});
