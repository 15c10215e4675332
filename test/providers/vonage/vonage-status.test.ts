import { describe, expect, it } from "vitest";
import { useStandInServer } from "../support/adapter-harness.js";
import type { StandInServer } from "../support/stand-in-server.js";
import { CALL_UUID, NOW, vonage } from "./vonage-fixtures.js";

let api: StandInServer;

useStandInServer((started) => (api = started), { reset: true });

describe("vonage queryStatus", () => {
  it("asks the Voice API for a call by UUID with an application JWT and maps its status", async () => {
    api.route("GET", `/v1/calls/${CALL_UUID}`, { body: { uuid: CALL_UUID, status: "completed", duration: "14", direction: "outbound" } });

    const report = await vonage({}, { base_url: api.url }).queryStatus(CALL_UUID, new AbortController().signal);

    expect(api.requests[0]!.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(report).toEqual({ provider: "vonage-main", state: "delivered", providerMessageId: CALL_UUID, providerStatus: "completed", at: NOW });
  });

  it("maps an unanswered call to undelivered", async () => {
    api.route("GET", `/v1/calls/${CALL_UUID}`, { body: { uuid: CALL_UUID, status: "unanswered" } });

    const report = await vonage({}, { base_url: api.url }).queryStatus(CALL_UUID, new AbortController().signal);

    expect(report).toMatchObject({ state: "undelivered", providerStatus: "unanswered" });
  });

  it("answers undefined for an SMS message id without asking anything, since the SMS API has no status lookup", async () => {
    const report = await vonage({ base_url: api.url }, { base_url: api.url }).queryStatus("0C000000217B7F02", new AbortController().signal);

    expect(report).toBeUndefined();
    expect(api.requests).toHaveLength(0);
  });

  it("answers undefined for a call the Voice API does not know", async () => {
    api.route("GET", `/v1/calls/${CALL_UUID}`, { status: 404, body: { type: "https://developer.nexmo.com/api-errors#not-found", title: "Not Found" } });

    expect(await vonage({}, { base_url: api.url }).queryStatus(CALL_UUID, new AbortController().signal)).toBeUndefined();
  });
});
