import { describe, expect, test } from "vitest";
import type { ProviderErrorKind } from "../../../src/providers/adapter.js";
import { useHarness } from "../support/adapter-harness.js";
import { expectProviderError, type InfobipHarness, live, MESSAGE_ID, message, startInfobip } from "./harness.js";

/** Messages Infobip refuses inside a 200: the status of messages[0] is in the REJECTED group (5). */
const REJECTED_STATUSES: Array<[id: number, name: string, kind: ProviderErrorKind]> = [
  [8, "REJECTED_PREFIX_MISSING", "invalid_number"],
  [52, "REJECTED_DESTINATION", "invalid_number"],
  [10, "REJECTED_DND", "invalid_number"],
  [14, "REJECTED_DESTINATION_BLOCKLISTED", "invalid_number"],
  [6, "REJECTED_NETWORK", "no_route"],
  [19, "REJECTED_ROUTE_NOT_AVAILABLE", "no_route"],
  [20, "REJECTED_FLOODING_FILTER", "no_route"],
  [11, "REJECTED_SOURCE", "unavailable"],
  [12, "REJECTED_NOT_ENOUGH_CREDITS", "unavailable"],
  [21, "REJECTED_SYSTEM_ERROR", "unavailable"],
];

describe("Infobip rejections", () => {
  let h: InfobipHarness;
  useHarness(startInfobip, (started) => (h = started), { reset: true });

  test.each(REJECTED_STATUSES)("maps a message rejected with status %i %s to %s", async (id, name, kind) => {
    h.api.route("POST", "/sms/3/messages", {
      status: 200,
      body: { bulkId: "b1", messages: [{ messageId: MESSAGE_ID, status: { groupId: 5, groupName: "REJECTED", id, name, description: name } }] },
    });

    const error = await expectProviderError(h.provider.send(message(), live()), kind);

    expect(error.message).toContain(name);
  });

  test("maps a 400 whose violation names the destination's to as invalid_number", async () => {
    h.api.route("POST", "/sms/3/messages", {
      status: 400,
      body: {
        errorCode: "E400",
        description: "Request cannot be processed.",
        action: "Check the syntax, violations and adjust the request.",
        violations: [{ property: "messages[0].destinations[0].to", violation: "size must be between 0 and 64" }],
        resources: [],
      },
    });

    await expectProviderError(h.provider.send(message(), live()), "invalid_number");
  });

  test("maps a 400 about anything else as unavailable, since the request was ours to get right", async () => {
    h.api.route("POST", "/sms/3/messages", {
      status: 400,
      body: {
        errorCode: "E400",
        description: "Request cannot be processed.",
        violations: [{ property: "messages[0].sender", violation: "must not be blank" }],
        resources: [],
      },
    });

    await expectProviderError(h.provider.send(message(), live()), "unavailable");
  });

  test.each([
    [401, "E401", "auth"],
    [403, "E403", "auth"],
    [429, "E429", "rate_limited"],
    [500, "E500", "unavailable"],
  ] as const)("maps HTTP %i (%s) to %s", async (status, errorCode, kind) => {
    h.api.route("POST", "/sms/3/messages", { status, body: { errorCode, description: "refused", violations: [], resources: [] } });

    const error = await expectProviderError(h.provider.send(message(), live()), kind);

    expect(error.message).toContain(errorCode);
  });

  test("understands the v2 requestError body a proxy in front of the old API might return", async () => {
    h.api.route("POST", "/sms/3/messages", {
      status: 401,
      body: { requestError: { serviceException: { messageId: "UNAUTHORIZED", text: "Invalid login details" } } },
    });

    const error = await expectProviderError(h.provider.send(message(), live()), "auth");

    expect(error.message).toContain("UNAUTHORIZED");
  });
});
