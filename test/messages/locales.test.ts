import { describe, expect, test } from "vitest";
import { COUNTRY_LANGUAGES, localeForCountry } from "../../src/messages/locales.js";
import { BUILT_IN, MessageRenderer } from "../../src/messages/templates.js";

const BUILT_IN_LANGUAGES = new Set(Object.keys(BUILT_IN));

describe("localeForCountry", () => {
  test.each([
    ["DE", "de-DE"],
    ["AT", "de-AT"],
    ["FR", "fr-FR"],
    ["ES", "es-ES"],
    ["MX", "es-MX"],
    ["AR", "es-AR"],
    ["IT", "it-IT"],
    ["PT", "pt-PT"],
    ["BR", "pt-BR"],
    ["US", "en-US"],
    ["GB", "en-GB"],
  ])("%s → %s", (country, locale) => {
    expect(localeForCountry(country, BUILT_IN_LANGUAGES)).toBe(locale);
  });

  test.each(["BE", "CH", "CA", "IN", "NL", "JP", "ZZ"])("%s: none (no one language, or no texts in it)", (country) => {
    expect(localeForCountry(country, BUILT_IN_LANGUAGES)).toBeUndefined();
  });

  test("every built-in language has countries, and every entry is a two-letter language", () => {
    const languages = new Set(Object.values(COUNTRY_LANGUAGES));
    for (const language of BUILT_IN_LANGUAGES) expect(languages.has(language), language).toBe(true);
    for (const [country, language] of Object.entries(COUNTRY_LANGUAGES)) {
      expect(country).toMatch(/^[A-Z]{2}$/);
      expect(language).toMatch(/^[a-z]{2}$/);
    }
  });
});

describe("MessageRenderer.localeFor", () => {
  test("counts the languages of configured templates, by locale or by language", () => {
    const renderer = new MessageRenderer({ templates: { "nl-NL": { sms: "{brand}: uw code is {code}" }, pl: { sms: "{brand}: kod {code}" } } });

    expect(renderer.localeFor("NL")).toBe("nl-NL");
    expect(renderer.localeFor("PL")).toBe("pl-PL");
    expect(renderer.localeFor("DE")).toBe("de-DE");
    expect(renderer.localeFor("JP")).toBeUndefined();
  });

  test("a derived locale renders its language's text", () => {
    const text = new MessageRenderer().render({ channel: "sms", locale: "pt-BR", code: "123456", brand: "Acme", ttlMs: 600_000 });

    expect(text).toBe("Acme: seu código é 123456. Expira em 10 min.");
  });
});
