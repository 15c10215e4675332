import type { Channel } from "../verification/model.js";

export interface MessageTemplates {
  sms?: string;
  voice?: string;
}

/**
 * Built-in texts, short enough to stay one GSM-7 segment in the Latin-script
 * locales. {code}, {brand} and {minutes} are replaced.
 */
const BUILT_IN: Record<string, Required<MessageTemplates>> = {
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
    sms: "{brand}: tu código de verificación es {code}. Caduca en {minutes} minutos.",
    voice: "Tu código de verificación de {brand} es: {code}. Repito: {code}.",
  },
  pt: {
    sms: "{brand}: seu código de verificação é {code}. Expira em {minutes} minutos.",
    voice: "Seu código de verificação {brand} é: {code}. Repetindo: {code}.",
  },
};

export interface RenderInput {
  channel: Channel;
  locale: string;
  code: string;
  brand: string;
  ttlMs: number;
}

export class MessageRenderer {
  constructor(private readonly overrides: Readonly<Record<string, MessageTemplates>> = {}) {}

  render({ channel, locale, code, brand, ttlMs }: RenderInput): string {
    const kind = channel === "voice" ? "voice" : "sms";
    const template = this.#template(locale, kind);
    // Voice reads digits one by one, with pauses, so "123456" is not read as a number.
    const spokenCode = kind === "voice" ? code.split("").join(", ") : code;
    return template
      .replaceAll("{code}", spokenCode)
      .replaceAll("{brand}", brand)
      .replaceAll("{minutes}", String(Math.max(1, Math.round(ttlMs / 60_000))));
  }

  #template(locale: string, kind: "sms" | "voice"): string {
    const language = locale.toLowerCase().split(/[-_]/)[0] ?? "en";
    for (const key of [locale, language, "en"]) {
      const override = this.overrides[key]?.[kind];
      if (override) return override;
      const builtIn = BUILT_IN[key]?.[kind];
      if (builtIn) return builtIn;
    }
    return BUILT_IN.en![kind];
  }
}
