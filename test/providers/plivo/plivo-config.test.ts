import { describe, expect, it } from "vitest";
import { plivoConfigSchema } from "../../../src/providers/plivo/config.js";

const minimal = { name: "plivo-main", type: "plivo", auth_id: "MAXXXXXXXXXXXXXXXXXX", auth_token: "token", from: "+14151234567" };

describe("plivo config", () => {
  it("defaults to Plivo's API host, SMS only, the WOMAN voice and a ten-minute answer lifetime", () => {
    expect(plivoConfigSchema.parse(minimal)).toMatchObject({
      base_url: "https://api.plivo.com",
      channels: ["sms"],
      voice: { voice: "WOMAN", answer_ttl: 600_000 },
    });
  });

  it("refuses SMS without src or a Powerpack", () => {
    expect(plivoConfigSchema.safeParse({ ...minimal, from: undefined }).error?.issues[0]?.path).toEqual(["from"]);
  });

  it("refuses voice when the only sender is an alphanumeric ID", () => {
    expect(plivoConfigSchema.safeParse({ ...minimal, from: "ACME", channels: ["voice"] }).error?.issues[0]?.path).toEqual(["voice", "from"]);
  });

  it("reads answer_ttl as a duration", () => {
    expect(plivoConfigSchema.parse({ ...minimal, voice: { answer_ttl: "2m" } }).voice.answer_ttl).toBe(120_000);
  });
});
