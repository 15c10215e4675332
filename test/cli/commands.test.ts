/**
 * The command line's words, run in-process (no build needed): check-config
 * prints the configuration verifyd would run with, secrets masked, or the
 * reason it would not start, naming the key; version; usage errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../../src/cli/commands.js";
import { loadConfig, parseConfig } from "../../src/config/load-config.js";

const dir = mkdtempSync(join(tmpdir(), "verifyd-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, { out: (text) => (out += `${text}\n`), err: (text) => (err += `${text}\n`) });
  return { code, out, err };
}

/** Every credential a provider takes, each a different secret value, from the environment as an operator would write them. */
const SECRETS: Record<string, string> = {
  VERIFYD_CODE_KEY: "code-key-0123456789abcdef",
  VERIFYD_ADMIN_TOKEN: "admin-token-0123456789",
  TWILIO_AUTH_TOKEN: "twilio-auth-token-value",
  VONAGE_API_SECRET: "vonage-api-secret-value",
  VONAGE_SIGNATURE_SECRET: "vonage-signature-secret-value",
  TELNYX_API_KEY: "telnyx-api-key-value",
  SINCH_API_TOKEN: "sinch-api-token-value",
  SINCH_WEBHOOK_SECRET: "sinch-webhook-secret-value",
  META_APP_SECRET: "meta-app-secret-value",
  WA_ACCESS_TOKEN: "wa-access-token-value",
  MONGO_PASSWORD: "mongo-password-value",
};

const FULL = `
server: { port: 9090, host: 0.0.0.0, trusted_proxies: [10.0.0.0/8] }
store: { type: mongodb, uri: "mongodb://verifyd:\${MONGO_PASSWORD}@db.internal:27017/?replicaSet=rs0", database: verifyd }
security: { code_hmac_key: "\${VERIFYD_CODE_KEY}" }
admin: { token: "\${VERIFYD_ADMIN_TOKEN}" }
policy: { delivery_window: 45s, code_ttl: 15m }
test_numbers: [{ number: "+15005550100", code: "246810" }]
providers:
  - { name: twilio-main, type: twilio, account_sid: AC0123, auth_token: "\${TWILIO_AUTH_TOKEN}", from: "+15005550006" }
  - { name: vonage-main, type: vonage, api_key: abcd1234, api_secret: "\${VONAGE_API_SECRET}", from: AcmeInc, signature_secret: "\${VONAGE_SIGNATURE_SECRET}" }
  - { name: telnyx, type: telnyx, api_key: "\${TELNYX_API_KEY}", from: "+18445550001", public_key: "VY66/WeKAbSXrHBMbCucmKownkoYfcdkJQybX+lbF+8=" }
  - { name: sinch, type: sinch, service_plan_id: plan, api_token: "\${SINCH_API_TOKEN}", from: VerifyD, webhook_secret: "\${SINCH_WEBHOOK_SECRET}" }
  - { name: whatsapp, type: whatsapp-cloud, phone_number_id: "123", access_token: "\${WA_ACCESS_TOKEN}", app_secret: "\${META_APP_SECRET}", verify_token: verify-me-please, template: { name: verifyd_otp, language: en_US }, status_poll: false }
routing: { default: [twilio-main, vonage-main, telnyx, sinch, whatsapp] }
`;

describe("verifyd check-config", () => {
  it("prints the effective configuration: defaults filled in, durations with their unit, secrets masked", async () => {
    process.env = { ...process.env, ...SECRETS };
    try {
      const { code, out, err } = await cli("check-config", file("full.yaml", FULL));

      expect(err).toBe("");
      expect(code).toBe(0);
      expect(out).toMatch(/^# .*full\.yaml: valid/);
      for (const [name, secret] of Object.entries(SECRETS)) expect(out, name).not.toContain(secret);
      expect(out).not.toContain("246810");
      expect(out).not.toContain("verify-me-please");
      const printed = parse(out) as Record<string, Record<string, unknown>>;
      expect(printed.security).toEqual({ code_hmac_key: "********" });
      expect(printed.store).toMatchObject({ type: "mongodb", uri: "mongodb://verifyd:********@db.internal:27017/?replicaSet=rs0", retention: "1d" });
      expect(printed.policy).toMatchObject({ delivery_window: "45s", code_ttl: "15m", resend_min_interval: "30s", code_length: 6 });
      expect(printed.server).toMatchObject({ port: 9090, host: "0.0.0.0", trusted_proxies: ["10.0.0.0/8"], shutdown_grace: "10s" });
      expect((printed.providers as unknown as Array<Record<string, unknown>>)[1]).toMatchObject({
        name: "vonage-main",
        api_key: "********",
        api_secret: "********",
        signature_secret: "********",
        replay_window: "5m",
        timeout: "10s",
      });
    } finally {
      for (const name of Object.keys(SECRETS)) delete process.env[name];
    }
  });

  it("prints what reads back as the same configuration, where nothing was masked", async () => {
    const { code, out } = await cli("check-config");

    expect(code).toBe(0);
    expect(out).toMatch(/^# the embedded default configuration: valid/);
    const reread = parseConfig(out, {});
    expect(reread).toEqual(loadConfig(undefined, {}));
    expect(reread.policy).toMatchObject({ delivery_window: 30_000, code_ttl: 600_000 });
    expect(reread.server.host).toBe("127.0.0.1");
  });

  it.each([
    ["a duration without a unit", "policy: { delivery_window: 30 }", /policy\.delivery_window: expected a duration with a unit .* got 30 without a unit/],
    ["an unknown key", "policy: { colour: blue }", /policy\.colour: unknown key/],
    ["an unknown provider in a route", "routing: { default: [sim-z] }", /routing\.default\[0\]: unknown provider "sim-z"/],
  ])("refuses %s, naming the file and the key, with exit code 1", async (_, line, message) => {
    const base = "providers: [{ name: sim, type: simulator, channels: [sms] }]\nrouting: { default: [sim] }\n";
    const text = line.startsWith("routing") ? base.replace("routing: { default: [sim] }", line) : `${base}${line}\n`;
    const path = file("bad.yaml", text);

    const { code, out, err } = await cli("check-config", path);

    expect(code).toBe(1);
    expect(out).toBe("");
    expect(err).toContain(path);
    expect(err).toMatch(message);
  });

  it("names a missing environment variable and its key", async () => {
    const { code, err } = await cli("check-config", file("env.yaml", `${FULL}`));

    expect(code).toBe(1);
    expect(err).toMatch(/store\.uri: environment variable MONGO_PASSWORD is not set/);
  });
});

describe("verifyd", () => {
  it("version prints the package's version and the Node.js it runs on", async () => {
    const { code, out } = await cli("version");

    expect(code).toBe(0);
    expect(out).toBe(`verifyd 0.1.0 (Node.js ${process.version}, ${process.platform}-${process.arch})\n`);
  });

  it("--help prints the usage, with every command", async () => {
    const { code, out } = await cli("--help");

    expect(code).toBe(0);
    for (const command of ["serve", "check-config", "version", "--host"]) expect(out).toContain(command);
  });

  it.each([
    [["frobnicate"], 'unknown command "frobnicate"'],
    [["serve", "--port", "eighty"], '--port must be a port number, got "eighty"'],
    [["serve", "--port", "70000"], '--port must be a port number, got "70000"'],
    [["serve", "--host", ""], "--host must name an address"],
    [["serve", "--colour"], "Unknown option '--colour'"],
    [["serve", "extra"], 'unexpected argument "extra"'],
  ])("%j is a usage error (exit code 2)", async (argv, message) => {
    const { code, err } = await cli(...argv);

    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(err).toContain("usage: verifyd");
  });
});
