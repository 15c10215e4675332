/** "application/json; charset=utf-8" → "application/json". */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

export function isJson(contentType: string | undefined): boolean {
  return mediaType(contentType) === "application/json";
}

export function isForm(contentType: string | undefined): boolean {
  return mediaType(contentType) === "application/x-www-form-urlencoded";
}

/** A webhook body that must be a JSON object; undefined when it is anything else. */
export function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
