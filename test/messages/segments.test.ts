import { describe, expect, it } from "vitest";
import { BUILT_IN, MessageRenderer } from "../../src/messages/templates.js";

const render = (renderer: MessageRenderer, locale: string, channel: "sms" | "voice" = "sms") =>
  renderer.render({ channel, locale, code: "1234567890", brand: "AcmeBankPay", ttlMs: 600_000 });

describe("SMS segments", () => {
  it.each(Object.keys(BUILT_IN))("keeps the built-in %s SMS to one segment with a 10-digit code and an 11-character brand", (locale) => {
    const info = MessageRenderer.segments(render(new MessageRenderer(), locale));
    expect(info.segments).toBe(1);
  });

  it("counts GSM-7 for plain English and UCS-2 once a character outside GSM-7 appears", () => {
    expect(MessageRenderer.segments("Your code is 123456")).toEqual({ encoding: "GSM-7", segments: 1 });
    expect(MessageRenderer.segments("Tu código es 123456")).toEqual({ encoding: "UCS-2", segments: 1 });
    expect(MessageRenderer.segments("x".repeat(161)).segments).toBe(2);
    expect(MessageRenderer.segments("ó".repeat(71)).segments).toBe(2);
  });
});

describe("WebOTP and SMS Retriever lines", () => {
  it("ends the SMS with the WebOTP line for the configured domain", () => {
    const text = render(new MessageRenderer({ webOtpDomain: "login.example.com" }), "en");
    expect(text.split("\n").at(-1)).toBe("@login.example.com #1234567890");
  });

  it("adds the Android app hash on its own line before the WebOTP line", () => {
    const text = render(new MessageRenderer({ webOtpDomain: "example.com", androidAppHash: "FA+9qCX9VSu" }), "en");
    const lines = text.split("\n").filter((line) => line !== "");
    expect(lines.slice(-2)).toEqual(["FA+9qCX9VSu", "@example.com #1234567890"]);
  });

  it("never adds either line to a voice message", () => {
    const text = render(new MessageRenderer({ webOtpDomain: "example.com", androidAppHash: "FA+9qCX9VSu" }), "en", "voice");
    expect(text).not.toContain("@example.com");
    expect(text).not.toContain("FA+9qCX9VSu");
    expect(text).toContain("1, 2, 3, 4, 5, 6, 7, 8, 9, 0");
  });
});
