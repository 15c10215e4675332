/**
 * /console/: the operator console's built files (scripts/build-console.mjs),
 * and nothing else. The folder is read once, on the first request that finds
 * it built, and served from memory: index.html at /console/ (/console
 * redirects there), every other file by its exact name, which carries a hash
 * of its content, so it may be cached for a year. A name is looked up, never
 * joined to a path, so no request reaches outside the folder.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/**
 * Where the built console is: dist/console beside the compiled server
 * (dist/src/server/ → dist/console/); run from the sources (tsx: this file is
 * still .ts), the folder the tests' global setup and `npm run dev` build into,
 * outside dist/, which `npm run build` empties (CONSOLE_SOURCE_BUILD in
 * scripts/build-console.mjs).
 */
export const CONSOLE_DIRECTORY = fileURLToPath(
  new URL(import.meta.url.endsWith(".ts") ? "../../node_modules/.cache/verifyd-console/" : "../../console/", import.meta.url),
);

/**
 * The page may load its own script, stylesheet and data: images, and call
 * its own origin (connect-web's fetch); nothing inline, nothing from elsewhere,
 * and no other site may frame it.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};
const COMPRESSIBLE = new Set([".html", ".js", ".css", ".svg"]);

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  /** Only when it is smaller. */
  readonly gzip?: Buffer;
  readonly etag: string;
  readonly cacheControl: string;
}

type ConsoleRequest = Pick<IncomingMessage, "method" | "headers">;
export type ConsoleRoute = (request: ConsoleRequest, response: ServerResponse, pathname: string, search: string) => void;

/** Serves the console built in `directory` (CONSOLE_DIRECTORY unless given). */
export function createConsoleRoute(directory: string = CONSOLE_DIRECTORY): ConsoleRoute {
  let assets: ReadonlyMap<string, Asset> | undefined;
  return (request, response, pathname, search) => {
    if (pathname === "/console") return redirect(response, `/console/${search}`);
    if (request.method !== "GET" && request.method !== "HEAD") return plain(response, 405, "the console answers GET and HEAD only", { allow: "GET, HEAD" });
    // Not cached until it exists: a server started before the console was built serves it once it is.
    assets ??= loadAssets(directory);
    if (!assets) return plain(response, 404, "the console is not built: run `npm run build`");
    const name = pathname === "/console/" ? "index.html" : pathname.slice("/console/".length);
    const asset = assets.get(name);
    if (!asset) return plain(response, 404, "no such file in the console");
    send(request, response, asset);
  };
}

function send(request: ConsoleRequest, response: ServerResponse, asset: Asset): void {
  const gzip = asset.gzip !== undefined && acceptsGzip(request.headers["accept-encoding"]);
  const etag = gzip ? `"${asset.etag}-gz"` : `"${asset.etag}"`;
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS,
    "cache-control": asset.cacheControl,
    etag,
  };
  if (asset.gzip) headers.vary = "Accept-Encoding";
  if (matches(request.headers["if-none-match"], etag)) {
    response.writeHead(304, headers);
    response.end();
    return;
  }
  const body = gzip ? asset.gzip! : asset.body;
  if (gzip) headers["content-encoding"] = "gzip";
  response.writeHead(200, { ...headers, "content-type": asset.type, "content-length": body.length });
  response.end(request.method === "HEAD" ? undefined : body);
}

/** The folder's files by name, compressed and tagged once; undefined while it is not built. */
function loadAssets(directory: string): ReadonlyMap<string, Asset> | undefined {
  if (!statSync(join(directory, "index.html"), { throwIfNoEntry: false })?.isFile()) return undefined;
  const assets = new Map<string, Asset>();
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const type = CONTENT_TYPES[extname(entry.name)];
    if (!entry.isFile() || !type) continue;
    const body = readFileSync(join(directory, entry.name));
    const gzip = COMPRESSIBLE.has(extname(entry.name)) ? gzipSync(body, { level: 9 }) : undefined;
    assets.set(entry.name, {
      type,
      body,
      gzip: gzip && gzip.length < body.length ? gzip : undefined,
      etag: createHash("sha256").update(body).digest("base64url").slice(0, 27),
      // index.html names the current build's files, so it is checked every time; they never change under their names.
      cacheControl: entry.name === "index.html" ? "no-cache" : "public, max-age=31536000, immutable",
    });
  }
  return assets;
}

/** Whether Accept-Encoding allows gzip: named (or "*") with a quality above 0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...parameters] = part.trim().toLowerCase().split(";");
    if (coding?.trim() !== "gzip" && coding?.trim() !== "*") return false;
    const quality = parameters.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((q) => q !== undefined);
    return quality === undefined || Number(quality) > 0;
  });
}

/** If-None-Match holds `etag` (or "*"); weak validators compare equal, as RFC 9110 says for this header. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const value = tag.trim();
    return value === "*" || value.replace(/^W\//, "") === etag;
  });
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(308, { ...SECURITY_HEADERS, location, "content-length": 0 });
  response.end();
}

function plain(response: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = `${text}\n`;
  response.writeHead(status, { ...SECURITY_HEADERS, ...extra, "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
  response.end(body);
}
