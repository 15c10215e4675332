import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Infobip does not sign per-message delivery reports, so the notify URL
 * carries a secret `token` the report must bring back. Returns why the URL
 * Infobip called fails that, or undefined when it holds.
 */
export function callbackTokenProblem(url: string, secret: string): string | undefined {
  let token: string | null;
  try {
    token = new URL(url).searchParams.get("token");
  } catch {
    return "callback URL unreadable";
  }
  if (!token) return "callback token missing";
  // Hashing first gives equal lengths, so the comparison leaks neither content nor length.
  const given = createHash("sha256").update(token).digest();
  const expected = createHash("sha256").update(secret).digest();
  return timingSafeEqual(given, expected) ? undefined : "callback token does not match";
}

export function withCallbackToken(callbackUrl: string, secret: string): string {
  const url = new URL(callbackUrl);
  url.searchParams.set("token", secret);
  return url.toString();
}
