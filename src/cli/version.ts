import { readFileSync } from "node:fs";

/**
 * verifyd's version, from its package.json: the nearest one above this module
 * named "verifyd" (src/cli/ from the sources, dist/src/cli/ from the build).
 */
export function packageVersion(): string {
  for (let dir = new URL(".", import.meta.url); ; dir = new URL("..", dir)) {
    try {
      const manifest = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { name?: unknown; version?: unknown };
      if (manifest.name === "verifyd" && typeof manifest.version === "string") return manifest.version;
    } catch {
      // No package.json here (or not one we can read): look further up.
    }
    if (dir.pathname === "/" || new URL("..", dir).href === dir.href) return "unknown";
  }
}
