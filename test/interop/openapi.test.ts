// openapi/verify.v1.openapi.yaml, the Connect JSON API for callers that speak
// plain HTTP: it covers every RPC of VerificationService with the right
// messages, and what a live verifyd answers at its paths conforms to it.
// (Freshness against proto/ is `npm run check:clients`.)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DescMessage } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { VerificationService } from "../../gen/verify/v1/verify_pb.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { INTEROP_CONFIG, REPO } from "./clients.js";

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  format?: string;
};
type Operation = {
  operationId: string;
  requestBody: { required: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content: Record<string, { schema: Schema }> }>;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
};
type OpenApi = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, { post?: Operation }>;
  components: { schemas: Record<string, Schema> };
};

const SPEC_PATH = join(REPO, "openapi/verify.v1.openapi.yaml");
const spec = parse(readFileSync(SPEC_PATH, "utf8")) as OpenApi;
const pathOf = (method: string) => `/${VerificationService.typeName}/${method}`;
const ref = (message: DescMessage) => `#/components/schemas/${message.typeName}`;

function resolveRef(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  const target = spec.components.schemas[name];
  if (!target) throw new Error(`${schema.$ref} is not in components.schemas`);
  return resolveRef(target);
}

/** Where `value` (parsed JSON) breaks `schema`, as "path: problem" lines; none when it conforms. */
function violations(value: unknown, schema: Schema, path = "$"): string[] {
  const s = resolveRef(schema);
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) return alternatives.some((alt) => violations(value, alt, path).length === 0) ? [] : [`${path}: matches none of oneOf/anyOf`];
  if (s.enum && !s.enum.includes(value)) return [`${path}: ${JSON.stringify(value)} is not one of ${s.enum.join(", ")}`];
  const types = s.type === undefined ? undefined : [s.type].flat();
  const actual = value === null ? "null" : Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
  if (types && !types.includes(actual) && !(actual === "integer" && types.includes("number"))) return [`${path}: ${actual}, not ${types.join(" or ")}`];
  if (Array.isArray(value)) return value.flatMap((item, i) => (s.items ? violations(item, s.items, `${path}[${i}]`) : []));
  if (actual !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => {
    const declared = s.properties?.[key];
    if (declared) return violations(item, declared, `${path}.${key}`);
    if (typeof s.additionalProperties === "object") return violations(item, s.additionalProperties, `${path}.${key}`);
    return s.additionalProperties === true ? [] : [`${path}.${key}: not declared`];
  });
}

describe("openapi/verify.v1.openapi.yaml", () => {
  test("is an OpenAPI 3.1 document with a title and a version", () => {
    expect(spec.openapi).toBe("3.1.0");
    expect(spec.info.title).toMatch(/verifyd/);
    expect(spec.info.version).toBe("v1");
  });

  test("the conformance check used below catches an undeclared field, a wrong enum value and a wrong type", () => {
    const schema = { $ref: "#/components/schemas/verify.v1.StartResponse" };
    expect(violations({ verification: { id: "ver_1", status: "VERIFICATION_STATUS_SUBMITTED" } }, schema)).toEqual([]);
    expect(violations({ verification: { id: "ver_1", bogus: 1 } }, schema)).toEqual(["$.verification.bogus: not declared"]);
    expect(violations({ verification: { status: "SUBMITTED" } }, schema)).toHaveLength(1);
    expect(violations({ verification: { checkAttemptsRemaining: "3" } }, schema)).toEqual(["$.verification.checkAttemptsRemaining: string, not integer"]);
  });

  test("describes every RPC of VerificationService, and nothing else", () => {
    expect(Object.keys(spec.paths).sort()).toEqual(VerificationService.methods.map((m) => pathOf(m.name)).sort());
  });

  test.each(VerificationService.methods.map((m) => [m.name, m] as const))("%s: POST with its request and response messages", (_, method) => {
    const operation = spec.paths[pathOf(method.name)]?.post;
    expect(operation, `POST ${pathOf(method.name)}`).toBeDefined();
    expect(operation!.operationId).toBe(`${VerificationService.typeName}.${method.name}`);
    const contentType = method.methodKind === "unary" ? "application/json" : "application/connect+json";
    expect(operation!.requestBody.required).toBe(true);
    expect(operation!.requestBody.content[contentType]?.schema.$ref).toBe(ref(method.input));
    expect(operation!.responses["200"]?.content[contentType]?.schema.$ref).toBe(ref(method.output));
    expect(operation!.responses.default?.content[contentType]?.schema.$ref).toBe("#/components/schemas/connect.error");
  });

  test("names every field of every message the RPCs carry, by its JSON name", () => {
    const seen = new Set<string>();
    const visit = (message: DescMessage): void => {
      if (seen.has(message.typeName) || message.typeName.startsWith("google.protobuf.")) return;
      seen.add(message.typeName);
      const schema = spec.components.schemas[message.typeName];
      expect(schema, message.typeName).toBeDefined();
      expect(Object.keys(schema!.properties ?? {}).sort(), message.typeName).toEqual(message.fields.map((f) => f.jsonName).sort());
      for (const field of message.fields) {
        if (field.fieldKind === "message") visit(field.message);
        if (field.fieldKind === "list" && field.listKind === "message") visit(field.message);
      }
    };
    for (const method of VerificationService.methods) {
      visit(method.input);
      visit(method.output);
    }
    expect(seen.size).toBeGreaterThanOrEqual(VerificationService.methods.length * 2);
  });
});

describe("a live verifyd answers as openapi/verify.v1.openapi.yaml says", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: INTEROP_CONFIG });
  });
  afterAll(async () => server?.close());

  /** POSTs `body` to a unary RPC the way the spec describes it (JSON, the headers it marks required). */
  async function call(method: string, body: unknown) {
    const operation = spec.paths[pathOf(method)]!.post!;
    const headers: Record<string, string> = { "content-type": "application/json" };
    for (const parameter of operation.parameters ?? []) {
      if (parameter.in === "header" && parameter.required) headers[parameter.name] = "1"; // Connect-Protocol-Version
    }
    const response = await fetch(`${server.url}${pathOf(method)}`, { method: "POST", headers, body: JSON.stringify(body) });
    const json = (await response.json()) as unknown;
    const answer = response.status === 200 ? operation.responses["200"]! : operation.responses.default!;
    return { status: response.status, json, problems: violations(json, answer.content["application/json"]!.schema) };
  }

  test("Start, a wrong Check, Get, Resend and Cancel answer with the messages the spec gives", async () => {
    const started = await call("Start", { phoneNumber: "+12025550105", metadata: { user: "42" } });
    expect(started.status).toBe(200);
    expect(started.problems).toEqual([]);
    const id = (started.json as { verification: { id: string } }).verification.id;
    for (const [method, body] of [
      ["Check", { verificationId: id, code: "000000" }],
      ["Get", { verificationId: id }],
      ["Resend", { verificationId: id }],
      ["Cancel", { verificationId: id }],
    ] as const) {
      const answered = await call(method, body);
      // A Resend this soon may be refused (resend_min_interval): a Connect error the spec describes as well.
      expect(method === "Resend" ? [200, 429] : [200], `${method}: ${JSON.stringify(answered.json)}`).toContain(answered.status);
      expect(answered.problems, method).toEqual([]);
    }
  });

  test("Connect-Protocol-Version, which the spec marks required, may be left out (as the README's curl examples do)", async () => {
    const response = await fetch(`${server.url}${pathOf("Get")}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ verificationId: "ver_does_not_exist" }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "not_found" });
  });

  test("errors are Connect errors with the codes the spec lists", async () => {
    const invalid = await call("Start", { phoneNumber: "call me maybe" });
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({ code: "invalid_argument" });
    expect(invalid.problems).toEqual([]);
    const missing = await call("Get", { verificationId: "ver_does_not_exist" });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: "not_found", message: "verification ver_does_not_exist not found" });
    expect(missing.problems).toEqual([]);
  });

  test("Watch streams enveloped WatchResponse messages as application/connect+json", async () => {
    const started = await call("Start", { phoneNumber: "+12025550106" });
    const id = (started.json as { verification: { id: string } }).verification.id;
    await call("Cancel", { verificationId: id }); // terminal: the stream is a snapshot, then its end
    const request = Buffer.from(JSON.stringify({ verificationId: id }));
    const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), request]);
    envelope.writeUInt32BE(request.length, 1);
    const operation = spec.paths[pathOf("Watch")]!.post!;
    const contentType = "application/connect+json";
    expect(operation.requestBody.content[contentType]).toBeDefined();
    const response = await fetch(`${server.url}${pathOf("Watch")}`, {
      method: "POST",
      headers: { "content-type": contentType, "connect-protocol-version": "1" },
      body: envelope,
    });
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    const messages: Array<{ flags: number; json: unknown }> = [];
    for (let at = 0; at < bytes.length; ) {
      const length = bytes.readUInt32BE(at + 1);
      messages.push({ flags: bytes[at]!, json: JSON.parse(bytes.subarray(at + 5, at + 5 + length).toString()) });
      at += 5 + length;
    }
    const end = messages.pop()!;
    expect(end).toEqual({ flags: 2, json: {} }); // the end of the stream, no error
    expect(messages.length).toBeGreaterThanOrEqual(1);
    for (const message of messages) expect(violations(message.json, operation.responses["200"]!.content[contentType]!.schema)).toEqual([]);
    expect(messages[0]!.json).toMatchObject({ event: { type: "EVENT_TYPE_SNAPSHOT", verification: { id, status: "VERIFICATION_STATUS_CANCELED" } } });
  });
});
