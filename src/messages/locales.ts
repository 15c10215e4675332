/**
 * The language most people read in each country (ISO 3166-1 alpha-2 → ISO
 * 639-1), for the message of a caller that names no locale: a German number
 * gets the German text. Only countries where one language clearly prevails
 * are listed; elsewhere (Belgium, Switzerland, Canada, India, ...) the
 * policy's default locale applies, as it does for a language without a
 * template (built-in or configured).
 */
export const COUNTRY_LANGUAGES: Readonly<Record<string, string>> = {
  // English
  US: "en",
  GB: "en",
  IE: "en",
  AU: "en",
  NZ: "en",
  JM: "en",
  TT: "en",
  BS: "en",
  BB: "en",
  GY: "en",
  BZ: "en",
  NG: "en",
  GH: "en",
  KE: "en",
  UG: "en",
  ZM: "en",
  ZW: "en",
  // German
  DE: "de",
  AT: "de",
  LI: "de",
  // French
  FR: "fr",
  MC: "fr",
  SN: "fr",
  CI: "fr",
  ML: "fr",
  BF: "fr",
  NE: "fr",
  GN: "fr",
  BJ: "fr",
  TG: "fr",
  GA: "fr",
  CG: "fr",
  CD: "fr",
  MG: "fr",
  // Spanish
  ES: "es",
  MX: "es",
  AR: "es",
  CO: "es",
  CL: "es",
  PE: "es",
  VE: "es",
  EC: "es",
  GT: "es",
  CU: "es",
  BO: "es",
  DO: "es",
  HN: "es",
  PY: "es",
  SV: "es",
  NI: "es",
  CR: "es",
  PA: "es",
  UY: "es",
  GQ: "es",
  // Italian
  IT: "it",
  SM: "it",
  VA: "it",
  // Portuguese
  PT: "pt",
  BR: "pt",
  AO: "pt",
  MZ: "pt",
  CV: "pt",
  GW: "pt",
  ST: "pt",
  TL: "pt",
  // Others: used when messages.templates has texts in them
  NL: "nl",
  PL: "pl",
  CZ: "cs",
  SK: "sk",
  HU: "hu",
  RO: "ro",
  BG: "bg",
  GR: "el",
  TR: "tr",
  RU: "ru",
  UA: "uk",
  SE: "sv",
  NO: "nb",
  DK: "da",
  FI: "fi",
  EE: "et",
  LV: "lv",
  LT: "lt",
  HR: "hr",
  SI: "sl",
  RS: "sr",
  JP: "ja",
  KR: "ko",
  CN: "zh",
  TW: "zh",
  VN: "vi",
  TH: "th",
  ID: "id",
  IL: "he",
  SA: "ar",
  EG: "ar",
  AE: "ar",
};

/**
 * The locale for a number of `country` when the caller sends none: the
 * country's language, as a language-region tag ("de-DE", "pt-BR": voice
 * providers pick the regional voice from it), when a template in that
 * language exists; undefined otherwise (the policy's default applies).
 *
 * @example
 * localeForCountry("BR", new Set(["en", "pt"])) // "pt-BR"
 * localeForCountry("BE", new Set(["en", "fr"])) // undefined
 */
export function localeForCountry(country: string, languages: ReadonlySet<string>): string | undefined {
  const language = COUNTRY_LANGUAGES[country.toUpperCase()];
  return language && languages.has(language) ? `${language}-${country.toUpperCase()}` : undefined;
}
