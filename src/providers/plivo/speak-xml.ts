import { speechLanguage, spokenParts, xmlEscape } from "../../messages/voice-script.js";

/** Languages Plivo's <Speak> reads, the language's default region first. */
const SPEAK_LANGUAGES = [
  "en-US",
  "en-GB",
  "en-AU",
  "en-IN",
  "de-DE",
  "fr-FR",
  "fr-CA",
  "es-ES",
  "es-US",
  "pt-BR",
  "pt-PT",
  "it-IT",
  "nl-NL",
  "da-DK",
  "nb-NO",
  "sv-SE",
  "pl-PL",
  "ru-RU",
  "tr-TR",
  "ja-JP",
  "ko-KR",
];

/**
 * The Plivo XML a code call answers with: a second's wait after pick-up, then
 * the message with a <Wait> around each reading of the code, the code at
 * least twice, in the locale's language when Plivo speaks it.
 */
export function codeCallXml(body: string, code: string, locale: string, voice: string): string {
  const language = speechLanguage(locale, SPEAK_LANGUAGES);
  const attributes = `voice="${xmlEscape(voice)}"${language ? ` language="${language}"` : ""}`;
  const speak = (text: string) => `<Speak ${attributes}>${xmlEscape(text)}</Speak>`;
  const elements = ['<Wait length="1"/>'];
  for (const part of spokenParts(body, code)) {
    elements.push(part.kind === "code" ? `<Wait length="1"/>${speak(part.text)}<Wait length="1"/>` : speak(part.text));
  }
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${elements.join("")}</Response>`;
}

/** The answer for a call whose XML this process no longer (or never) held: end it. */
export const HANGUP_XML = '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>';
