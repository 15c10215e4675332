import { describe, expect, it } from "vitest";
import { useStandInServer } from "../support/adapter-harness.js";
import type { StandInServer } from "../support/stand-in-server.js";
import { AUTH_ID, AUTH_TOKEN, MESSAGE_UUID, NOW, plivo } from "./plivo-fixtures.js";

const MESSAGE_PATH = `/v1/Account/${AUTH_ID}/Message/${MESSAGE_UUID}/`;

let api: StandInServer;

useStandInServer((started) => (api = started), { reset: true });

/** A Message Detail Record as the Message API returns it, trimmed. */
function messageRecord(state: string, errorCode: string) {
  return {
    api_id: "035eeada-6df1-11e6-b608-06a72a185e87",
    message_uuid: MESSAGE_UUID,
    message_direction: "outbound",
    message_state: state,
    message_type: "sms",
    error_code: errorCode,
    units: 1,
  };
}

describe("plivo queryStatus", () => {
  it("fetches the message record with Basic auth and reports delivered", async () => {
    api.route("GET", MESSAGE_PATH, { body: messageRecord("delivered", "000") });

    const report = await plivo({ base_url: api.url }).queryStatus(MESSAGE_UUID, new AbortController().signal);

    expect(api.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString("base64")}`);
    expect(report).toEqual({ provider: "plivo-main", state: "delivered", providerMessageId: MESSAGE_UUID, providerStatus: "delivered", at: NOW });
  });

  it("reports an undelivered message with its error code", async () => {
    api.route("GET", MESSAGE_PATH, { body: messageRecord("undelivered", "50") });

    const report = await plivo({ base_url: api.url }).queryStatus(MESSAGE_UUID, new AbortController().signal);

    expect(report).toMatchObject({ state: "undelivered", error: "undelivered: error 50" });
  });

  it("answers undefined for an id the Message API does not know, such as a call's request UUID", async () => {
    api.route("GET", MESSAGE_PATH, { status: 404, body: { api_id: "97ceeb52", error: "not found" } });

    expect(await plivo({ base_url: api.url }).queryStatus(MESSAGE_UUID, new AbortController().signal)).toBeUndefined();
  });

  it("rejects with auth when Plivo refuses the credentials", async () => {
    api.route("GET", MESSAGE_PATH, { status: 401, body: { api_id: "97ceeb52", error: "authentication_failed" } });

    await expect(plivo({ base_url: api.url }).queryStatus(MESSAGE_UUID, new AbortController().signal)).rejects.toMatchObject({ kind: "auth" });
  });
});
