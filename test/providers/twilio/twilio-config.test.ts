import { describe, expect, it } from "vitest";
import { twilioConfigSchema } from "../../../src/providers/twilio/config.js";

const minimal = { name: "twilio-main", type: "twilio", account_sid: "AC123", auth_token: "token", from: "+15005550006" };

describe("twilio config", () => {
  it("defaults base_url to Twilio's API host, the channel to SMS and voice options to none", () => {
    const config = twilioConfigSchema.parse(minimal);

    expect(config).toMatchObject({ base_url: "https://api.twilio.com", channels: ["sms"], voice: {}, timeout: 10_000, cost: 0 });
  });

  it("refuses SMS without a From number or Messaging Service", () => {
    const result = twilioConfigSchema.safeParse({ ...minimal, from: undefined });

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["from"]);
  });

  it("refuses WhatsApp without a WhatsApp sender or Messaging Service", () => {
    const result = twilioConfigSchema.safeParse({ ...minimal, channels: ["whatsapp"] });

    expect(result.error?.issues[0]?.path).toEqual(["whatsapp", "from"]);
  });

  it("refuses voice when the only sender is an alphanumeric ID", () => {
    const result = twilioConfigSchema.safeParse({ ...minimal, from: "ACME", channels: ["voice"] });

    expect(result.error?.issues[0]?.path).toEqual(["voice", "from"]);
  });

  it("refuses keys it does not know", () => {
    expect(twilioConfigSchema.safeParse({ ...minimal, api_secret: "x" }).success).toBe(false);
  });

  it("defaults the WhatsApp template's code variable to {{1}}", () => {
    const config = twilioConfigSchema.parse({ ...minimal, channels: ["whatsapp"], whatsapp: { from: "+14155238886", content_sid: "HX1" } });

    expect(config.whatsapp).toEqual({ from: "+14155238886", content_sid: "HX1", code_variable: "1" });
  });
});
