/**
 * The spoken form of a voice message, split so each provider's call markup
 * (TwiML, NCCO, Plivo XML) can put pauses around the code. The rendered voice
 * body already spells the code digit by digit ("1, 2, 3, 4"); this finds those
 * readings and makes sure the code is read at least twice, even when an
 * operator's template mentions it only once or not at all.
 *
 * Shared by the twilio, vonage and plivo adapters; it belongs next to the
 * message templates (src/messages) and lives here only until it moves there.
 *
 * @example
 * spokenParts("Your code is: 1, 2, 3. Again: 1, 2, 3.", "123")
 * // [{ kind: "text", text: "Your code is:" }, { kind: "code", text: "1, 2, 3." },
 * //  { kind: "text", text: "Again:" }, { kind: "code", text: "1, 2, 3." }]
 */
export type SpokenPart = { kind: "text"; text: string } | { kind: "code"; text: string };

/** How many times a listener hears the code, at least. */
export const CODE_READINGS = 2;

export function spokenParts(body: string, code: string): SpokenPart[] {
  const digits = code.split("");
  // The same spelling src/messages/templates.ts renders for voice.
  const spelled = digits.join(", ");
  const reading: SpokenPart = { kind: "code", text: `${spelled}.` };
  const parts: SpokenPart[] = [];
  const pieces = spelled ? body.split(spelled) : [body];
  pieces.forEach((piece, index) => {
    // The template's own punctuation after a reading ("1, 2, 3." or "1, 2, 3,") is replaced by ours.
    const text = (index > 0 ? piece.replace(/^[.,;:!?]/, "") : piece).trim();
    if (text) parts.push({ kind: "text", text });
    if (index < pieces.length - 1) parts.push(reading);
  });
  const readings = parts.filter((part) => part.kind === "code").length;
  for (let missing = CODE_READINGS - readings; missing > 0; missing--) parts.push(reading);
  return parts;
}

/**
 * The speech language for a locale, from the tags a provider supports: the
 * exact tag when the provider has it ("pt-BR"), else the first tag listed for
 * the language ("pt" or "pt-AO" → "pt-BR" when that comes first), else
 * undefined so the provider's own default applies.
 */
export function speechLanguage(locale: string, supported: readonly string[]): string | undefined {
  const [language = "", region] = locale.replace("_", "-").split("-");
  const wanted = region ? `${language.toLowerCase()}-${region.toUpperCase()}` : language.toLowerCase();
  return supported.find((tag) => tag === wanted) ?? supported.find((tag) => tag.split("-")[0] === language.toLowerCase());
}

/** Escapes text for an XML element or attribute. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (character) => XML_ENTITIES[character]!);
}

const XML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
