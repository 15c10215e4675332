/**
 * The pinned deployment tools of test/deploy (helm, kubeconform, hadolint and
 * Kubernetes' JSON schemas), installed by scripts/install-tools.sh into .tools.
 * A missing tool fails its test, with what to run.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

export const TOOLS = resolve(".tools");
export const HELM = join(TOOLS, "bin/helm");
export const KUBECONFORM = join(TOOLS, "bin/kubeconform");
export const HADOLINT = join(TOOLS, "bin/hadolint");
/** The Kubernetes version the manifests are validated against (schemas from the kubernetes-validate wheel). */
export const KUBERNETES_VERSION = "1.37.0";
const SCHEMA_LOCATION = join(TOOLS, "kubernetes-json-schema/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json");

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a pinned tool; never rejects on a non-zero exit (the caller asserts on `code`). */
export function run(binary: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`bash scripts/install-tools.sh\``);
  return new Promise((resolvePromise, reject) => {
    execFile(binary, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error);
      resolvePromise({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
    });
  });
}

/** helm, with its cache, config and data in a directory of its own (nothing written to $HOME). */
export async function helm(args: string[]): Promise<Run> {
  const home = await mkdtemp(join(tmpdir(), "verifyd-helm-"));
  try {
    return await run(HELM, args, { HELM_CACHE_HOME: join(home, "cache"), HELM_CONFIG_HOME: join(home, "config"), HELM_DATA_HOME: join(home, "data") });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** kubeconform -strict on YAML text, against the installed schemas only (no network); `skip` lists kinds it has no schema for. */
export async function kubeconform(yaml: string, skip: string[] = []): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), "verifyd-kubeconform-"));
  try {
    const file = join(dir, "manifests.yaml");
    await writeFile(file, yaml);
    const args = ["-strict", "-summary", "-output", "text", "-kubernetes-version", KUBERNETES_VERSION, "-schema-location", SCHEMA_LOCATION];
    if (skip.length > 0) args.push("-skip", skip.join(","));
    return await run(KUBECONFORM, [...args, file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are read as plain YAML and asserted on field by field
  [field: string]: any;
}

/** The objects of a multi-document YAML stream (empty documents left out). */
export function objectsOf(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map((error) => error.message).join("; "));
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

/** The one object of `kind` (and `name`, when given). */
export function only(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0]!;
}

/** Values for every `${NAME}` a verifyd configuration refers to, shaped to pass its schema. */
export function fakeEnvironmentFor(configText: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, name] of configText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    env[name!] = name!.endsWith("MONGODB_URI") ? "mongodb://db.example:27017" : `fake-${name!.toLowerCase()}-0123456789abcdef`;
  }
  return env;
}
