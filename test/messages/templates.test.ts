import { describe, expect, test } from "vitest";
import { MessageRenderer } from "../../src/messages/templates.js";

const base = { channel: "sms" as const, code: "482913", brand: "acme", ttlMs: 600_000 };

describe("MessageRenderer", () => {
  test("renders the English SMS with code, brand and minutes", () => {
    expect(new MessageRenderer().render({ ...base, locale: "en" })).toBe("acme: your verification code is 482913. It expires in 10 minutes.");
  });

  test("falls back from a regional locale to its language (pt-BR to pt)", () => {
    const renderer = new MessageRenderer();
    const portuguese = renderer.render({ ...base, locale: "pt" });

    expect(renderer.render({ ...base, locale: "pt-BR" })).toBe(portuguese);
    expect(portuguese).toContain("código");
    expect(portuguese).toContain("482913");
  });

  test("falls back to English for a locale it has no text for", () => {
    expect(new MessageRenderer().render({ ...base, locale: "xx" })).toBe(new MessageRenderer().render({ ...base, locale: "en" }));
    expect(new MessageRenderer().render({ ...base, locale: "ja-JP" })).toContain("your verification code is 482913");
  });

  test("voice reads the code digit by digit", () => {
    const text = new MessageRenderer().render({ ...base, channel: "voice", locale: "en" });

    expect(text).toBe("Your acme verification code is: 4, 8, 2, 9, 1, 3. Again: 4, 8, 2, 9, 1, 3.");
  });

  test("WhatsApp uses the SMS text", () => {
    expect(new MessageRenderer().render({ ...base, channel: "whatsapp", locale: "de" })).toBe(
      new MessageRenderer().render({ ...base, channel: "sms", locale: "de" }),
    );
  });

  test("rounds the lifetime to whole minutes, never below one", () => {
    expect(new MessageRenderer().render({ ...base, locale: "en", ttlMs: 20_000 })).toContain("expires in 1 minutes");
    expect(new MessageRenderer().render({ ...base, locale: "en", ttlMs: 299_000 })).toContain("expires in 5 minutes");
  });

  test("a configured override wins over the built-in text, for its locale and for regions of it", () => {
    const renderer = new MessageRenderer({ templates: { pt: { sms: "{brand} código {code}" }, "en-GB": { voice: "Code {code}" } } });

    expect(renderer.render({ ...base, locale: "pt" })).toBe("acme código 482913");
    expect(renderer.render({ ...base, locale: "pt-BR" })).toBe("acme código 482913");
    expect(renderer.render({ ...base, channel: "voice", locale: "en-GB" })).toBe("Code 4, 8, 2, 9, 1, 3");
  });

  test("an override for one channel leaves the other channel's built-in text", () => {
    const renderer = new MessageRenderer({ templates: { pt: { sms: "{brand} código {code}" } } });

    expect(renderer.render({ ...base, channel: "voice", locale: "pt" })).toBe(new MessageRenderer().render({ ...base, channel: "voice", locale: "pt" }));
  });
});
