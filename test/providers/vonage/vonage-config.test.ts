import { describe, expect, it } from "vitest";
import { vonageConfigSchema } from "../../../src/providers/vonage/config.js";
import { voiceKeys } from "./vonage-fixtures.js";

const minimal = { name: "vonage-main", type: "vonage", api_key: "abcd1234", api_secret: "secret", from: "AcmeInc" };

describe("vonage config", () => {
  it("defaults to the SMS API host, SMS only, Vonage's MD5-hash signature method and a five-minute replay window", () => {
    expect(vonageConfigSchema.parse(minimal)).toMatchObject({
      base_url: "https://rest.nexmo.com",
      channels: ["sms"],
      signature_method: "md5hash",
      replay_window: 300_000,
    });
  });

  it("defaults the voice host to the Voice API's", () => {
    const config = vonageConfigSchema.parse({
      ...minimal,
      channels: ["voice"],
      voice: { application_id: "app", private_key: voiceKeys.privateKey, from: "+447700900001" },
    });

    expect(config.voice?.base_url).toBe("https://api.nexmo.com");
  });

  it("refuses voice without the voice application", () => {
    expect(vonageConfigSchema.safeParse({ ...minimal, channels: ["voice"] }).error?.issues[0]?.path).toEqual(["voice"]);
  });

  it("refuses a private key that is not a PEM key, at load time rather than at the first call", () => {
    const result = vonageConfigSchema.safeParse({ ...minimal, voice: { application_id: "app", private_key: "not a key", from: "+447700900001" } });

    expect(result.error?.issues[0]?.path).toEqual(["voice", "private_key"]);
  });

  it("refuses a signature method Vonage does not offer", () => {
    expect(vonageConfigSchema.safeParse({ ...minimal, signature_method: "sha384hmac" }).success).toBe(false);
  });
});
