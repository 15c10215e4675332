/**
 * The container recipe (Dockerfile, .dockerignore). No image is built here:
 * these machines reach package registries but no container registry, so the
 * base image cannot be pulled (README "Deploying"). Instead the Dockerfile is
 * linted by hadolint at the version scripts/install-tools.sh pins, failing on
 * any finding, and held to what the image must be.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { HADOLINT, run } from "./kube.js";

const DOCKERFILE = resolve("Dockerfile");
const text = readFileSync(DOCKERFILE, "utf8");
const packageJson = JSON.parse(readFileSync(resolve("package.json"), "utf8")) as {
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

interface Finding {
  code: string;
  level: string;
  line: number;
  message: string;
}

/** hadolint's findings on a Dockerfile, at every level (style included). */
async function hadolint(file: string): Promise<{ code: number; findings: Finding[] }> {
  const result = await run(HADOLINT, ["--no-color", "--format", "json", "--failure-threshold", "style", file]);
  return { code: result.code, findings: JSON.parse(result.stdout || "[]") as Finding[] };
}

/** The instructions of a stage, continuation lines joined. */
function stages(dockerfile: string): Array<{ from: string; name?: string; instructions: string[] }> {
  const instructions = dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const out: Array<{ from: string; name?: string; instructions: string[] }> = [];
  for (const instruction of instructions) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction);
    if (from) out.push({ from: from[1]!, ...(from[2] ? { name: from[2] } : {}), instructions: [] });
    else out.at(-1)?.instructions.push(instruction.replace(/\s+/g, " "));
  }
  return out;
}

describe("the Dockerfile", () => {
  test("has no hadolint finding at any level", async () => {
    const { code, findings } = await hadolint(DOCKERFILE);
    expect(findings).toEqual([]);
    expect(code).toBe(0);
  }, 20_000);

  test("fails hadolint when written carelessly (the lint runs, and fails on findings)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "verifyd-dockerfile-"));
    try {
      const careless = join(dir, "Dockerfile");
      await writeFile(
        careless,
        "FROM node:latest\nRUN apt-get update && apt-get install curl\nADD . /app\nRUN cd /app && npm install\nCMD node /app/dist/src/main.js\n",
      );
      const { code, findings } = await hadolint(careless);
      expect(code).not.toBe(0);
      expect(findings.map((finding) => finding.code)).toEqual(expect.arrayContaining(["DL3007", "DL3008", "DL3014", "DL3020", "DL3003", "DL3025"]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 20_000);

  test("builds on Node 24 slim pinned by digest, the Node the project pins, in every stage", () => {
    const base = /^ARG NODE_IMAGE=(node:(\d+)\.\d+\.\d+-bookworm-slim@sha256:[0-9a-f]{64})$/m.exec(text);
    expect(base, "ARG NODE_IMAGE=node:<version>-bookworm-slim@sha256:<digest>").not.toBeNull();
    expect(base![2]).toBe("24");
    expect(packageJson.optionalDependencies?.node ?? packageJson.devDependencies?.node).toMatch(/^\^?24\./);
    expect(stages(text).map((stage) => [stage.from, stage.name])).toEqual([
      ["${NODE_IMAGE}", "build"],
      ["${NODE_IMAGE}", "deps"],
      ["${NODE_IMAGE}", "runtime"],
    ]);
  });

  test("compiles with every dependency, and ships dist/ with the production dependencies only", () => {
    const [build, deps, runtime] = stages(text);
    expect(build!.instructions.join("\n")).toMatch(/npm ci --ignore-scripts && npm run build/);
    expect(deps!.instructions.join("\n")).toMatch(/npm ci --omit=dev --omit=optional --ignore-scripts/);
    const copies = runtime!.instructions.filter((instruction) => instruction.startsWith("COPY"));
    expect(copies).toEqual([
      "COPY --from=deps /app/package.json /app/package-lock.json ./",
      "COPY --from=deps /app/node_modules ./node_modules",
      "COPY --from=build /app/dist ./dist",
    ]);
    expect(runtime!.instructions.some((instruction) => /\bnpm\b/.test(instruction))).toBe(false);
  });

  test("runs verifyd serve as a numeric non-root user, listening beyond the container's loopback", () => {
    const runtime = stages(text).at(-1)!;
    const user = runtime.instructions.filter((instruction) => instruction.startsWith("USER"));
    expect(user).toEqual(["USER 10001:10001"]);
    expect(runtime.instructions).toContain('ENTRYPOINT ["node", "/app/dist/src/main.js"]');
    // Assumes the CLI's --host flag (overrides server.host), as the embedded default binds 127.0.0.1.
    expect(runtime.instructions).toContain('CMD ["serve", "--host", "0.0.0.0"]');
    expect(runtime.instructions).toContain("ENV NODE_ENV=production");
    expect(runtime.instructions).toContain("EXPOSE 8080");
    // Nothing in the image is written at run time: no VOLUME, no writable workdir set up for the user.
    expect(runtime.instructions.some((instruction) => /^(VOLUME|RUN .*chown)/.test(instruction))).toBe(false);
  });
});

describe(".dockerignore", () => {
  test("keeps local installs, builds, tools, the git history and secrets out of the build context", () => {
    const ignored = readFileSync(resolve(".dockerignore"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    expect(ignored).toEqual(expect.arrayContaining([".git", "node_modules", "**/node_modules", "dist", ".tools", ".env", "*.pem", "*.key"]));
    // What `npm ci` and `npm run build` read stays in.
    for (const needed of ["package.json", "package-lock.json", "tsconfig.json", "src", "gen"]) expect(ignored).not.toContain(needed);
  });
});
