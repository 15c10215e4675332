import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Twilio's X-Twilio-Signature: base64 of HMAC-SHA1, keyed with the auth
 * token, over the full URL Twilio called followed by every POST parameter
 * sorted by name, each name immediately followed by its value.
 *
 * @example
 * twilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)
 */
export function twilioSignature(authToken: string, url: string, params: URLSearchParams): string {
  const values = new Map<string, string[]>();
  for (const [name, value] of params) values.set(name, [...(values.get(name) ?? []), value]);
  let data = url;
  // A repeated parameter contributes each of its values, in sorted order, as Twilio's helper libraries do.
  for (const name of [...values.keys()].sort()) for (const value of values.get(name)!.sort()) data += name + value;
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/**
 * Whether `signature` is Twilio's for this request. Like Twilio's own
 * helpers, accepts the URL with or without its scheme's default port, since
 * Twilio may sign either form of what it was given; compares in constant time.
 */
export function isTwilioSignature(authToken: string, url: string, params: URLSearchParams, signature: string): boolean {
  const given = Buffer.from(signature, "utf8");
  let valid = false;
  for (const candidate of urlVariants(url)) {
    const expected = Buffer.from(twilioSignature(authToken, candidate, params), "utf8");
    // Every candidate is compared, so timing does not tell which form matched.
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}

function urlVariants(url: string): string[] {
  const match = /^(https?):\/\/([^/?#:]+)(:\d+)?(.*)$/i.exec(url);
  if (!match) return [url];
  const [, scheme, host, port, rest] = match;
  const defaultPort = scheme!.toLowerCase() === "https" ? ":443" : ":80";
  const withoutPort = `${scheme}://${host}${rest}`;
  const withPort = `${scheme}://${host}${defaultPort}${rest}`;
  if (port === undefined) return [url, withPort];
  return port === defaultPort ? [url, withoutPort] : [url];
}
