/**
 * verifyd from its build, as it is shipped: `verifyd serve` (dist/src/main.js)
 * and `npm start` are one process, ready in well under a second on an idle
 * machine, and SIGTERM drains it and closes the port, whether it goes to
 * verifyd or to the npm process in front of it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, MAIN } from "./support/build.js";
import { childrenOf, run, type Spawned, spawnUntilListening } from "./support/spawned.js";

/** Generous: the suites share two cores with other servers; an idle machine is ready in about half a second (README). */
const READY_WITHIN_MS = 5_000;

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return false;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED";
  }
}

async function ready(url: string): Promise<unknown> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: await response.json() };
}

beforeAll(ensureBuilt, 300_000);

describe("verifyd from the build", () => {
  it("prints its version", async () => {
    const { code, stdout } = await run(process.execPath, [MAIN, "version"]);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^verifyd 0\.\d+\.\d+ \(Node\.js v\d+/);
  });

  it("serves the embedded default on the loopback, says so with the address it bound, and drains on SIGTERM", async () => {
    const server = await spawnUntilListening(process.execPath, [MAIN, "serve", "--port", "0"]);
    const url = String(server.listening.url);

    expect(server.listening).toMatchObject({ address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), store: "memory" });
    expect(url).toBe(`http://${server.listening.address}`);
    expect(server.listening.ready_ms).toBeLessThan(READY_WITHIN_MS);
    expect(await ready(url)).toEqual({ status: 200, body: { status: "ready" } });
    // One process: nothing between the command and the server.
    expect(await childrenOf(server.child.pid!)).toEqual([]);

    server.child.kill("SIGTERM");

    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.logs.map((line) => line.msg)).toContain("verifyd stopped");
    expect(await refused(url)).toBe(true);
  });

  it("--host 0.0.0.0 binds every interface, and warns that the simulators' outbox is reachable", async () => {
    const server = await stopAfter(await spawnUntilListening(process.execPath, [MAIN, "serve", "--port", "0", "--host", "0.0.0.0"]));

    expect(server.listening.address).toMatch(/^0\.0\.0\.0:\d+$/);
    expect(server.listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.logs.find((line) => line.level === 40 && String(line.msg).includes("/sim/outbox"))?.msg).toContain(
      `to whoever reaches ${server.listening.address}`,
    );
  });

  it("refuses a bad file at start-up naming the key, with exit code 2", async () => {
    const { code, stderr } = await run(process.execPath, [MAIN, "serve", "--config", "/nonexistent/verifyd.yaml"]);

    expect(code).toBe(2);
    expect(stderr).toContain("cannot read config file /nonexistent/verifyd.yaml");
  });
});

describe("npm start", () => {
  it("is verifyd itself under npm, and SIGTERM to the npm process drains it, closes the port and ends npm", async () => {
    const npm = await spawnUntilListening("npm", ["start", "--", "--port", "0"]);
    const url = String(npm.listening.url);
    expect(await ready(url)).toEqual({ status: 200, body: { status: "ready" } });
    // npm's one child is node serving (`exec` in the script: no shell in between), and it has none of its own.
    const [server, ...others] = await childrenOf(npm.child.pid!);
    expect(others).toEqual([]);
    expect(await childrenOf(server!)).toEqual([]);

    npm.child.kill("SIGTERM");

    expect(await npm.exited).toEqual({ code: 0, signal: null });
    expect(npm.logs.map((line) => line.msg)).toContain("verifyd stopped");
    expect(await refused(url)).toBe(true);
    expect(processAlive(server!)).toBe(false);
  });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops a server once the test has looked at it. */
async function stopAfter(server: Spawned): Promise<Spawned> {
  await sleep(0);
  server.child.kill("SIGTERM");
  await server.exited;
  return server;
}
