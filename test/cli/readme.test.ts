/**
 * The README, true as written: its reference configuration starts with the
 * environment it lists, and its curl command for Watch, run as printed
 * (address and id filled in), prints the stream one message per line.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "../support/server.js";
import { ensureBuilt, MAIN, REPO } from "./support/build.js";
import { run, spawnUntilListening } from "./support/spawned.js";

const README = readFileSync(join(REPO, "README.md"), "utf8");

/** The first fenced block of `language` after `heading`, and the prose between the two. */
function blockAfter(heading: string, language: string, containing?: string): { prose: string; code: string } {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, `README has "${heading}"`).toBeGreaterThan(-1);
  let from = start;
  for (;;) {
    const open = README.indexOf(`\n\`\`\`${language}\n`, from);
    expect(open, `a \`\`\`${language} block after "${heading}"`).toBeGreaterThan(-1);
    const close = README.indexOf("\n```\n", open + 1);
    const code = README.slice(open + language.length + 5, close + 1);
    if (!containing || code.includes(containing)) return { prose: README.slice(start, open), code };
    from = close;
  }
}

const dir = mkdtempSync(join(tmpdir(), "verifyd-readme-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the README's reference configuration", () => {
  const { prose, code: yaml } = blockAfter("## Configuration", "yaml");
  const variables = [...new Set([...yaml.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1]!))];
  const env = { ...process.env, ...Object.fromEntries(variables.map((name) => [name, `${name.toLowerCase()}-0123456789abcdef`])) };
  const path = join(dir, "verifyd.yaml");
  writeFileSync(path, yaml);

  beforeAll(ensureBuilt, 300_000);

  it("lists, next to it, every environment variable it references", () => {
    expect(variables.length).toBeGreaterThan(0);
    for (const name of variables) expect(prose, `the README names ${name}`).toContain(`\`${name}\``);
  });

  it("passes check-config", async () => {
    const { code, stdout, stderr } = await run(process.execPath, [MAIN, "check-config", path], env);

    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("delivery_window: 30s");
  });

  it("starts as written and sends a code", async () => {
    const server = await spawnUntilListening(process.execPath, [MAIN, "serve", "--config", path, "--port", "0"], { env });
    try {
      const url = String(server.listening.url);
      expect(server.listening.address).toMatch(/^127\.0\.0\.1:/);
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: "ready" });
      const started = await fetch(`${url}/verify.v1.VerificationService/Start`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phoneNumber: "+12025550100" }),
      });
      expect(started.status).toBe(200);
      expect(await started.json()).toMatchObject({ verification: { status: expect.stringMatching(/SUBMITTED|DELIVERED/), attempts: [{ provider: "sim-a" }] } });
      expect(server.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
    } finally {
      server.child.kill("SIGTERM");
      expect((await server.exited).code).toBe(0);
    }
  });
});

const hasTools = ["perl", "curl"].every((tool) => spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0);

describe("the README's curl command for Watch", () => {
  it.skipIf(!hasTools)("prints each message of the stream on its own line, as it comes, and ends with the stream", async () => {
    const { code: command } = blockAfter("## Quick start", "sh", "VerificationService/Watch");
    const server = await startTestServer();
    try {
      const phoneNumber = "+12025550100";
      const { verification } = await server.connectH1.start({ phoneNumber });
      const filled = command.replaceAll("ver_…", verification!.id).replaceAll("localhost:8080", new URL(server.url).host);
      const shell = spawn("sh", ["-c", filled], { stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      shell.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const ended = new Promise<number | null>((resolve) => shell.once("close", resolve));
      // The snapshot arrives while the stream is open: the command prints as it reads.
      await expect.poll(() => output, { timeout: 10_000 }).toContain("EVENT_TYPE_SNAPSHOT");

      await server.connectH1.check({ verificationId: verification!.id, code: await server.codeSentTo(phoneNumber) });

      expect(await ended).toBe(0);
      const lines = output.trimEnd().split("\n");
      const messages = lines.map((line) => JSON.parse(line) as { event?: { type: string; verificationId: string } });
      expect(messages[0]!.event).toMatchObject({ type: "EVENT_TYPE_SNAPSHOT", verificationId: verification!.id });
      expect(messages.at(-2)!.event?.type).toBe("EVENT_TYPE_VERIFIED");
      expect(messages.at(-1)).toEqual({});
    } finally {
      await server.close();
    }
  });
});
