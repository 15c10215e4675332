import { speechLanguage, spokenParts } from "../../messages/voice-script.js";

/** Languages Vonage's text-to-speech speaks, the language's default region first. */
const TTS_LANGUAGES = [
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

export interface TalkAction {
  action: "talk";
  text: string;
  language?: string;
  style?: number;
  premium?: boolean;
}

export interface TalkVoice {
  style?: number;
  premium?: boolean;
}

/**
 * The NCCO for a code call: one `talk` action per piece of the message, so
 * each reading of the code (at least two, digit by digit) is its own
 * utterance with a break before and after. Plain text rather than SSML <break>,
 * because not every Vonage voice style accepts SSML.
 */
export function codeCallNcco(body: string, code: string, locale: string, voice: TalkVoice): TalkAction[] {
  const language = speechLanguage(locale, TTS_LANGUAGES);
  return spokenParts(body, code).map((part) => ({
    action: "talk",
    text: part.text,
    ...(language && { language }),
    ...(voice.style !== undefined && { style: voice.style }),
    ...(voice.premium !== undefined && { premium: voice.premium }),
  }));
}
