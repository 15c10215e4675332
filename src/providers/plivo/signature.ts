import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * X-Plivo-Signature-V3, as Plivo's "Signature validation-V3" page and its
 * server SDKs (validate_v3_signature) build it: the URL without its query,
 * then "?" and the query parameters sorted ("name=value" joined by "&"), then
 * "." and, for a POST, every POST parameter sorted by name as name+value with
 * no separators; then "." and the X-Plivo-Signature-V3-Nonce; HMAC-SHA256
 * keyed with the auth token, base64.
 *
 * @example
 * plivoSignatureV3("POST", "https://example.com/answer?x=1", params, "12345", authToken)
 */
export function plivoSignatureV3(method: string, url: string, params: URLSearchParams, nonce: string, authToken: string): string {
  const { base, query } = splitUrl(url);
  let signed: string;
  if (method.toUpperCase() === "GET") {
    for (const [name, value] of params) query.append(name, value);
    const queryString = sortedPairs(query, (name, value) => `${name}=${value}`, "&");
    signed = queryString ? `${base}?${queryString}` : base;
  } else {
    const queryString = sortedPairs(query, (name, value) => `${name}=${value}`, "&");
    const hasParams = [...params.keys()].length > 0;
    signed = base;
    if (queryString || hasParams) signed += `?${queryString}`;
    if (queryString && hasParams) signed += ".";
    signed += sortedPairs(params, (name, value) => `${name}${value}`, "");
  }
  return createHmac("sha256", authToken).update(`${signed}.${nonce}`, "utf8").digest("base64");
}

/**
 * X-Plivo-Signature-V2, which Plivo's messaging callbacks carry: HMAC-SHA256
 * keyed with the auth token over the URL without its query followed by the
 * X-Plivo-Signature-V2-Nonce, base64. It covers neither the query nor the body.
 */
export function plivoSignatureV2(url: string, nonce: string, authToken: string): string {
  return createHmac("sha256", authToken)
    .update(`${splitUrl(url).base}${nonce}`, "utf8")
    .digest("base64");
}

/**
 * Whether a signature header matches. Plivo sends one signature per active
 * auth token, comma-separated, while a token is being rotated; any may match.
 */
export function signatureHeaderMatches(header: string, expected: string): boolean {
  const wanted = Buffer.from(expected, "utf8");
  let matched = false;
  for (const candidate of header.split(",")) {
    const given = Buffer.from(candidate.trim(), "utf8");
    if (given.length === wanted.length && timingSafeEqual(given, wanted)) matched = true;
  }
  return matched;
}

/**
 * The URL as given, without query or fragment, and its query. Not normalised
 * through URL: Plivo signs the URL as it was configured ("https://host" has no
 * trailing slash), as its SDKs' urlparse/buildUrl do.
 */
function splitUrl(url: string): { base: string; query: URLSearchParams } {
  const [withoutFragment = ""] = url.split("#");
  const queryAt = withoutFragment.indexOf("?");
  if (queryAt < 0) return { base: withoutFragment, query: new URLSearchParams() };
  return { base: withoutFragment.slice(0, queryAt), query: new URLSearchParams(withoutFragment.slice(queryAt + 1)) };
}

/** Parameters sorted by name, and a repeated name's values sorted too, as Plivo's SDKs do. */
function sortedPairs(params: URLSearchParams, pair: (name: string, value: string) => string, separator: string): string {
  const values = new Map<string, string[]>();
  for (const [name, value] of params) values.set(name, [...(values.get(name) ?? []), value]);
  return [...values.keys()]
    .sort()
    .flatMap((name) =>
      values
        .get(name)!
        .sort()
        .map((value) => pair(name, value)),
    )
    .join(separator);
}
