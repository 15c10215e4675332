/**
 * /console/ over plain HTTP: the page and its hashed files with a strict
 * Content-Security-Policy and the caching each deserves, gzip when the client
 * takes it, 304 for a file it has; nothing but the built files (no path leads
 * out of the folder); no routes at all with console.enabled false.
 */
import { request } from "node:http";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { acceptsGzip } from "../../src/server/console-route.js";
import { startTestServer, type TestServer } from "../support/server.js";

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with exactly these headers and this path, sent as written (fetch would normalise it and add Accept-Encoding). */
function get(base: string, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const sent = request({ hostname, port, path, method, headers, timeout: 5_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on("error", reject);
    });
    sent.on("timeout", () => sent.destroy(new Error(`${method} ${path}: no answer in 5 s`)));
    sent.on("error", reject);
    sent.end();
  });
}

let server: TestServer;
let scriptPath: string;
let stylesheetPath: string;

beforeAll(async () => {
  server = await startTestServer();
  const page = (await get(server.url, "/console/")).body.toString();
  scriptPath = `/console/${/src="(app-[A-Za-z0-9]+\.js)"/.exec(page)![1]}`;
  stylesheetPath = `/console/${/href="(app-[A-Za-z0-9]+\.css)"/.exec(page)![1]}`;
});

afterAll(async () => {
  await server?.close();
});

describe("the console's page", () => {
  test("is served at /console/ with a strict CSP, nosniff, no referrer, and revalidated on every load", async () => {
    const page = await get(server.url, "/console/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toBe(CSP);
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(page.headers["cache-control"]).toBe("no-cache");
    expect(page.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(page.body.toString()).toContain('<script type="module" src="app-');
    // Nothing inline for the CSP to refuse.
    expect(page.body.toString()).not.toMatch(/<script>|<style|style="/);
  });

  test("/console redirects to /console/, keeping the query", async () => {
    const answer = await get(server.url, "/console?x=1");
    expect(answer.status).toBe(308);
    expect(answer.headers.location).toBe("/console/?x=1");
  });

  test("HEAD answers the headers without a body; other methods are refused with 405", async () => {
    const head = await get(server.url, "/console/", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(Number(head.headers["content-length"])).toBeGreaterThan(0);
    expect(head.body.length).toBe(0);
    const post = await get(server.url, "/console/", {}, "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
  });
});

describe("the console's hashed files", () => {
  test("are cached for a year as immutable, with their types and the same security headers", async () => {
    const script = await get(server.url, scriptPath);
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(script.headers["content-security-policy"]).toBe(CSP);
    expect(script.headers["x-content-type-options"]).toBe("nosniff");
    const stylesheet = await get(server.url, stylesheetPath);
    expect(stylesheet.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect(stylesheet.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
  });

  test("are gzipped for a client that accepts gzip, and sent as they are otherwise", async () => {
    const plain = await get(server.url, scriptPath);
    const zipped = await get(server.url, scriptPath, { "accept-encoding": "gzip, deflate, br" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers.vary).toBe("Accept-Encoding");
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    const refused = await get(server.url, scriptPath, { "accept-encoding": "gzip;q=0, identity" });
    expect(refused.headers["content-encoding"]).toBeUndefined();
  });

  test("answer 304 with no body to a client that has the same version (ETag), per encoding", async () => {
    const first = await get(server.url, scriptPath, { "accept-encoding": "gzip" });
    const again = await get(server.url, scriptPath, { "accept-encoding": "gzip", "if-none-match": String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(first.headers.etag);
    // The identity body has its own tag: the gzip one does not validate it.
    const identity = await get(server.url, scriptPath, { "if-none-match": String(first.headers.etag) });
    expect(identity.status).toBe(200);
    const page = await get(server.url, "/console/");
    expect((await get(server.url, "/console/", { "if-none-match": `W/${page.headers.etag}` })).status).toBe(304);
  });
});

describe("nothing else is served under /console/", () => {
  test.each([
    "/console/app.js",
    "/console/index.html/",
    "/console/%2e%2e/package.json",
    "/console/..%2fpackage.json",
    "/console/..%5cpackage.json",
    "/console//etc/passwd",
    "/console/.%2e/.%2e/package.json",
    "/console/nope.css",
  ])("%s answers 404", async (path) => {
    const answer = await get(server.url, path);
    expect(answer.status).toBe(404);
    expect(answer.body.toString()).not.toContain('"name": "verifyd"');
  });

  test("a path that climbs out of /console/ is normalised before routing, and reaches no file", async () => {
    const answer = await get(server.url, "/console/../package.json");
    expect(answer.status).toBe(404);
    expect(answer.body.toString()).not.toContain('"name": "verifyd"');
  });
});

describe("with console.enabled false", () => {
  test("/console, /console/ and the files answer 404", async () => {
    const off = await startTestServer({ config: { console: { enabled: false } } });
    try {
      for (const path of ["/console", "/console/", scriptPath]) expect((await get(off.url, path)).status, path).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe("Accept-Encoding", () => {
  test.each([
    ["gzip", true],
    ["deflate, gzip;q=0.5", true],
    ["*", true],
    ["gzip;q=0", false],
    ["br", false],
    ["", false],
  ])("%j allows gzip: %s", (header, allowed) => {
    expect(acceptsGzip(header)).toBe(allowed);
  });
});
