import { describe, expect, it } from "vitest";
import { useStandInServer } from "../support/adapter-harness.js";
import type { StandInServer } from "../support/stand-in-server.js";
import { ACCOUNT_SID, AUTH_TOKEN, NOW, twilio } from "./twilio-fixtures.js";

const BASIC = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`;
const MESSAGE_SID = "SM1f0e8ae6ade43cb3c0ce4525424e404f";
const CALL_SID = "CA5ef8732a3c49700934481addd5ce1659";

let api: StandInServer;

useStandInServer((started) => (api = started), { reset: true });

describe("twilio queryStatus", () => {
  it("fetches the Message by SID and reports delivered", async () => {
    api.route("GET", `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${MESSAGE_SID}.json`, {
      body: { sid: MESSAGE_SID, status: "delivered", error_code: null, error_message: null },
    });

    const report = await twilio({ base_url: api.url }).queryStatus(MESSAGE_SID, new AbortController().signal);

    expect(api.requests[0]!.method).toBe("GET");
    expect(api.requests[0]!.headers.authorization).toBe(BASIC);
    expect(report).toEqual({ provider: "twilio-main", state: "delivered", providerMessageId: MESSAGE_SID, providerStatus: "delivered", at: NOW });
  });

  it("reports an undelivered Message with its error code", async () => {
    api.route("GET", `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${MESSAGE_SID}.json`, {
      body: { sid: MESSAGE_SID, status: "undelivered", error_code: 30003, error_message: "Unreachable destination handset" },
    });

    const report = await twilio({ base_url: api.url }).queryStatus(MESSAGE_SID, new AbortController().signal);

    expect(report).toMatchObject({ state: "undelivered", providerStatus: "undelivered", error: "undelivered: error 30003" });
  });

  it("reports a Message still on its way as intermediate", async () => {
    api.route("GET", `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${MESSAGE_SID}.json`, { body: { sid: MESSAGE_SID, status: "sent" } });

    const report = await twilio({ base_url: api.url }).queryStatus(MESSAGE_SID, new AbortController().signal);

    expect(report).toMatchObject({ state: "intermediate", providerStatus: "sent" });
  });

  it("fetches a Call for a CA... SID and maps a no-answer call to undelivered", async () => {
    api.route("GET", `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${CALL_SID}.json`, { body: { sid: CALL_SID, status: "no-answer" } });

    const report = await twilio({ base_url: api.url }).queryStatus(CALL_SID, new AbortController().signal);

    expect(api.requests[0]!.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${CALL_SID}.json`);
    expect(report).toMatchObject({ state: "undelivered", providerStatus: "no-answer" });
  });

  it("answers undefined for a SID Twilio does not know", async () => {
    api.route("GET", `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${MESSAGE_SID}.json`, {
      status: 404,
      body: { code: 20404, message: "The requested resource was not found", status: 404 },
    });

    const report = await twilio({ base_url: api.url }).queryStatus(MESSAGE_SID, new AbortController().signal);

    expect(report).toBeUndefined();
  });

  it("rejects with the mapped kind when Twilio refuses the lookup", async () => {
    api.route("GET", `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${MESSAGE_SID}.json`, {
      status: 401,
      body: { code: 20003, message: "Authenticate", status: 401 },
    });

    await expect(twilio({ base_url: api.url }).queryStatus(MESSAGE_SID, new AbortController().signal)).rejects.toMatchObject({ kind: "auth" });
  });
});
