import { SegmentedMessage } from "sms-segments-calculator";
import type { RenderInput } from "../verification/ports.js";

export type { RenderInput } from "../verification/ports.js";

import { localeForCountry } from "./locales.js";

export interface MessageTemplates {
  sms?: string;
  voice?: string;
}

/**
 * Built-in texts, each one SMS segment with a 10-digit code and an 11-character
 * brand: GSM-7 where the language allows (160 characters), and short enough for
 * UCS-2 (70 characters) where an accent outside GSM-7 forces it (es, pt).
 * {code}, {brand} and {minutes} are replaced.
 */
export const BUILT_IN: Readonly<Record<string, Required<MessageTemplates>>> = {
  en: {
    sms: "{brand}: your verification code is {code}. It expires in {minutes} minutes.",
    voice: "Your {brand} verification code is: {code}. Again: {code}.",
  },
  de: {
    sms: "{brand}: Ihr Bestätigungscode lautet {code}. Er ist {minutes} Minuten gültig.",
    voice: "Ihr {brand} Bestätigungscode lautet: {code}. Noch einmal: {code}.",
  },
  fr: {
    sms: "{brand} : votre code de vérification est {code}. Il expire dans {minutes} minutes.",
    voice: "Votre code de vérification {brand} est : {code}. Je répète : {code}.",
  },
  es: {
    sms: "{brand}: tu código es {code}. Caduca en {minutes} min.",
    voice: "Tu código de verificación de {brand} es: {code}. Repito: {code}.",
  },
  it: {
    sms: "{brand}: il tuo codice di verifica è {code}. Scade tra {minutes} minuti.",
    voice: "Il tuo codice di verifica {brand} è: {code}. Ripeto: {code}.",
  },
  pt: {
    sms: "{brand}: seu código é {code}. Expira em {minutes} min.",
    voice: "Seu código de verificação {brand} é: {code}. Repetindo: {code}.",
  },
};

export interface MessageOptions {
  /** Per-locale (or language) overrides of the built-in templates. */
  templates?: Readonly<Record<string, MessageTemplates>>;
  /**
   * Adds the WebOTP line `@<domain> #<code>` as the last line of SMS, so a
   * browser on that origin can offer the code to the page.
   */
  webOtpDomain?: string;
  /** Android SMS Retriever: the app's 11-character hash, added on its own line. */
  androidAppHash?: string;
}

export interface SegmentInfo {
  encoding: "GSM-7" | "UCS-2";
  segments: number;
}

export class MessageRenderer {
  readonly #options: MessageOptions;
  /** The languages there are texts in: built in, or configured (by locale or language). */
  readonly #languages: ReadonlySet<string>;

  constructor(options: MessageOptions = {}) {
    this.#options = options;
    this.#languages = new Set([...Object.keys(BUILT_IN), ...Object.keys(options.templates ?? {})].map(languageOf));
  }

  /** A number's locale when the caller names none: its country's language where there are texts in it (see locales.ts). */
  localeFor(country: string): string | undefined {
    return localeForCountry(country, this.#languages);
  }

  render({ channel, locale, code, brand, ttlMs }: RenderInput): string {
    const kind = channel === "voice" ? "voice" : "sms";
    const template = this.#template(locale, kind);
    // Voice reads digits one by one, with pauses, so "123456" is not read as a number.
    const spokenCode = kind === "voice" ? code.split("").join(", ") : code;
    let text = template
      .replaceAll("{code}", spokenCode)
      .replaceAll("{brand}", brand)
      .replaceAll("{minutes}", String(Math.max(1, Math.round(ttlMs / 60_000))));
    if (kind === "sms") {
      if (this.#options.androidAppHash) text += `\n\n${this.#options.androidAppHash}`;
      // WebOTP requires this to be the very last line.
      if (this.#options.webOtpDomain) text += `\n\n@${this.#options.webOtpDomain} #${code}`;
    }
    return text;
  }

  /** The SMS encoding a text needs and how many segments (billed messages) it takes. */
  static segments(text: string): SegmentInfo {
    const message = new SegmentedMessage(text, "auto");
    return { encoding: message.encodingName === "GSM-7" ? "GSM-7" : "UCS-2", segments: message.segmentsCount };
  }

  #template(locale: string, kind: "sms" | "voice"): string {
    const language = languageOf(locale);
    for (const key of [locale, language, "en"]) {
      const override = this.#options.templates?.[key]?.[kind];
      if (override) return override;
      const builtIn = BUILT_IN[key]?.[kind];
      if (builtIn) return builtIn;
    }
    return BUILT_IN.en![kind];
  }
}

/** "pt-BR", "pt_BR", "PT" → "pt". */
function languageOf(locale: string): string {
  return locale.toLowerCase().split(/[-_]/)[0] || "en";
}
