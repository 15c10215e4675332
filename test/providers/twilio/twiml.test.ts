import { describe, expect, it } from "vitest";
import { MessageRenderer } from "../../../src/messages/templates.js";
import { speechLanguage, spokenParts } from "../../../src/messages/voice-script.js";
import { codeCallTwiml } from "../../../src/providers/twilio/twiml.js";

const renderer = new MessageRenderer();

function voiceBody(locale: string, code = "4829") {
  return renderer.render({ channel: "voice", locale, code, brand: "Acme", ttlMs: 600_000 });
}

describe("spokenParts", () => {
  it("splits the built-in English voice text into text and two digit-by-digit readings", () => {
    expect(spokenParts(voiceBody("en"), "4829")).toEqual([
      { kind: "text", text: "Your Acme verification code is:" },
      { kind: "code", text: "4, 8, 2, 9." },
      { kind: "text", text: "Again:" },
      { kind: "code", text: "4, 8, 2, 9." },
    ]);
  });

  it("adds a second reading when a template mentions the code once", () => {
    const parts = spokenParts("Code: 4, 8, 2, 9.", "4829");

    expect(parts.filter((part) => part.kind === "code")).toHaveLength(2);
  });

  it("reads the code twice even when a template forgot it", () => {
    expect(spokenParts("Hello from Acme.", "4829")).toEqual([
      { kind: "text", text: "Hello from Acme." },
      { kind: "code", text: "4, 8, 2, 9." },
      { kind: "code", text: "4, 8, 2, 9." },
    ]);
  });
});

describe("speechLanguage", () => {
  const supported = ["en-US", "en-GB", "pt-BR", "pt-PT", "de-DE"];

  it("keeps a supported locale's region", () => {
    expect(speechLanguage("en_GB", supported)).toBe("en-GB");
    expect(speechLanguage("pt-pt", supported)).toBe("pt-PT");
  });

  it("falls back to the language's first listed region", () => {
    expect(speechLanguage("pt", supported)).toBe("pt-BR");
    expect(speechLanguage("de-AT", supported)).toBe("de-DE");
  });

  it("answers undefined for a language the provider does not speak", () => {
    expect(speechLanguage("fi", supported)).toBeUndefined();
  });
});

describe("codeCallTwiml", () => {
  it("pauses after pick-up and around each reading of the code", () => {
    expect(codeCallTwiml(voiceBody("en"), "4829", "en", {})).toBe(
      "<Response>" +
        '<Pause length="1"/>' +
        '<Say language="en-US">Your Acme verification code is:</Say>' +
        '<Pause length="1"/><Say language="en-US">4, 8, 2, 9.</Say><Pause length="1"/>' +
        '<Say language="en-US">Again:</Say>' +
        '<Pause length="1"/><Say language="en-US">4, 8, 2, 9.</Say><Pause length="1"/>' +
        "</Response>",
    );
  });

  it("speaks German in de-DE with the basic voice", () => {
    expect(codeCallTwiml(voiceBody("de"), "4829", "de", {})).toContain('<Say language="de-DE">Ihr Acme Bestätigungscode lautet:</Say>');
  });

  it("leaves the language to Twilio when the basic voice does not speak the locale", () => {
    expect(codeCallTwiml(voiceBody("pt"), "4829", "pt-BR", {})).toContain("<Say>4, 8, 2, 9.</Say>");
  });

  it("uses the configured voice and the locale's language when that voice speaks it", () => {
    expect(codeCallTwiml(voiceBody("pt"), "4829", "pt-BR", { voice: "Polly.Camila" })).toContain('<Say language="pt-BR" voice="Polly.Camila">4, 8, 2, 9.</Say>');
  });

  it("escapes XML in the text", () => {
    expect(codeCallTwiml("Tom & Jerry <Inc>: 1, 2.", "12", "en", {})).toContain('<Say language="en-US">Tom &amp; Jerry &lt;Inc&gt;:</Say>');
  });
});
