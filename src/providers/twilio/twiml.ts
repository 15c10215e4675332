import { speechLanguage, spokenParts, xmlEscape } from "../../messages/voice-script.js";

/** What Twilio's basic voice (no `voice` attribute) speaks. */
const BASIC_LANGUAGES = ["en-US", "en-GB", "es-ES", "fr-FR", "de-DE"];

/** What the Amazon Polly and Google voices Twilio offers speak, the language's default region first. */
const NEURAL_LANGUAGES = [
  "en-US",
  "en-GB",
  "en-AU",
  "en-IN",
  "de-DE",
  "fr-FR",
  "fr-CA",
  "es-ES",
  "es-MX",
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

export interface TwimlVoice {
  /** A Twilio <Say> voice such as "Polly.Joanna"; unset uses Twilio's basic voice. */
  voice?: string;
}

/**
 * The TwiML for a code call: a moment's silence after pick-up, then the
 * message with each reading of the code set apart by pauses, the code at least
 * twice. The language follows the locale when the voice speaks it.
 *
 * @example
 * codeCallTwiml("Your code is: 1, 2, 3. Again: 1, 2, 3.", "123", "en", {})
 * // <Response><Pause length="1"/><Say language="en-US">Your code is:</Say><Pause length="1"/>...
 */
export function codeCallTwiml(body: string, code: string, locale: string, options: TwimlVoice): string {
  const language = speechLanguage(locale, options.voice ? NEURAL_LANGUAGES : BASIC_LANGUAGES);
  const attributes = [language && `language="${xmlEscape(language)}"`, options.voice && `voice="${xmlEscape(options.voice)}"`].filter(Boolean).join(" ");
  const say = (text: string) => `<Say${attributes ? ` ${attributes}` : ""}>${xmlEscape(text)}</Say>`;
  const verbs = ['<Pause length="1"/>'];
  for (const part of spokenParts(body, code)) {
    verbs.push(part.kind === "code" ? `<Pause length="1"/>${say(part.text)}<Pause length="1"/>` : say(part.text));
  }
  return `<Response>${verbs.join("")}</Response>`;
}
