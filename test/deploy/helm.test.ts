/**
 * The Helm chart (deploy/helm/verifyd) and the sidecar manifest
 * (deploy/k8s/sidecar.yaml): `helm lint`, `helm template` and
 * `kubeconform -strict` at the versions scripts/install-tools.sh pins, against
 * Kubernetes' own JSON schemas (no network), then what the objects must say.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { parseConfig } from "../../src/config/load-config.js";
import { parseRuleFile } from "../support/promql.js";
import { fakeEnvironmentFor, helm, type KubeObject, kubeconform, objectsOf, only } from "./kube.js";

const CHART = resolve("deploy/helm/verifyd");
const FULL_VALUES = resolve("deploy/helm/verifyd/ci/full-values.yaml");
const SIDECAR = resolve("deploy/k8s/sidecar.yaml");
const RULES = resolve("observability/prometheus/verifyd-alerts.yaml");
const CHART_RULES = resolve("deploy/helm/verifyd/files/verifyd-alerts.yaml");
/** prometheus-operator's kinds: kubeconform has no schema for them; their content is checked below instead. */
const OPERATOR_KINDS = ["ServiceMonitor", "PrometheusRule"];

const TIMEOUT = 60_000;

async function template(...args: string[]): Promise<string> {
  const result = await helm(["template", "verifyd", CHART, "--namespace", "identity", ...args]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result.stdout;
}

function podSpec(deployment: KubeObject) {
  return deployment.spec.template.spec;
}

function container(deployment: KubeObject, name = "verifyd") {
  return podSpec(deployment).containers.find((candidate: { name: string }) => candidate.name === name);
}

/** The restricted Pod Security Standard, as far as a container's own settings go. */
function expectRestricted(securityContext: Record<string, unknown>, podSecurityContext: Record<string, unknown>) {
  expect(securityContext.allowPrivilegeEscalation).toBe(false);
  expect(securityContext.readOnlyRootFilesystem).toBe(true);
  expect((securityContext.capabilities as { drop: string[] }).drop).toEqual(["ALL"]);
  expect(securityContext.runAsNonRoot ?? podSecurityContext.runAsNonRoot).toBe(true);
  expect(((securityContext.seccompProfile ?? podSecurityContext.seccompProfile) as { type: string }).type).toBe("RuntimeDefault");
}

describe("the Helm chart (deploy/helm/verifyd)", () => {
  let defaults: KubeObject[];
  let full: KubeObject[];
  let defaultsYaml: string;
  let fullYaml: string;

  beforeAll(async () => {
    [defaultsYaml, fullYaml] = await Promise.all([template(), template("--values", FULL_VALUES)]);
    defaults = objectsOf(defaultsYaml);
    full = objectsOf(fullYaml);
  }, TIMEOUT);

  test(
    "passes helm lint --strict, with its default values and with every option on",
    async () => {
      for (const args of [[], ["--values", FULL_VALUES]]) {
        const result = await helm(["lint", "--strict", CHART, ...args]);
        expect(result.stdout + result.stderr, args.join(" ")).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
        expect(result.code).toBe(0);
      }
    },
    TIMEOUT,
  );

  test(
    "renders objects kubeconform -strict accepts against Kubernetes' schemas (default values)",
    async () => {
      expect(defaults.map((object) => object.kind).sort()).toEqual(["ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"]);
      const result = await kubeconform(defaultsYaml);
      expect(result.stdout + result.stderr).toMatch(/5 resources found .* Valid: 5, Invalid: 0, Errors: 0, Skipped: 0/);
      expect(result.code).toBe(0);
    },
    TIMEOUT,
  );

  test(
    "renders objects kubeconform -strict accepts with every option on (the operator's kinds aside)",
    async () => {
      expect(full.map((object) => object.kind).sort()).toEqual([
        "ConfigMap",
        "Deployment",
        "PodDisruptionBudget",
        "PrometheusRule",
        "Service",
        "ServiceAccount",
        "ServiceMonitor",
      ]);
      const result = await kubeconform(fullYaml, OPERATOR_KINDS);
      expect(result.stdout + result.stderr).toMatch(/7 resources found .* Valid: 5, Invalid: 0, Errors: 0, Skipped: 2/);
      expect(result.code).toBe(0);
    },
    TIMEOUT,
  );

  test("runs verifyd serve on its config file, probed on /healthz (liveness) and /readyz (readiness)", () => {
    for (const objects of [defaults, full]) {
      const verifyd = container(only(objects, "Deployment"));
      expect(verifyd.args).toEqual(["serve", "--config", "/etc/verifyd/config.yaml"]);
      expect(verifyd.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
      expect(verifyd.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(verifyd.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
      expect(verifyd.startupProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(verifyd.volumeMounts).toContainEqual({ name: "config", mountPath: "/etc/verifyd", readOnly: true });
      expect(verifyd.resources.requests).toEqual({ cpu: "100m", memory: "128Mi" });
    }
  });

  test("runs restricted: non-root, read-only root filesystem (a memory /tmp), no capabilities, RuntimeDefault seccomp, no API token", () => {
    for (const objects of [defaults, full]) {
      const deployment = only(objects, "Deployment");
      const spec = podSpec(deployment);
      expectRestricted(container(deployment).securityContext, spec.securityContext);
      expect(spec.securityContext.runAsUser).toBe(10001);
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.volumes).toContainEqual({ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } });
    }
  });

  test("writes a configuration verifyd accepts, listening on 0.0.0.0:8080 in the pod (default values)", () => {
    const text = only(defaults, "ConfigMap").data["config.yaml"] as string;
    const config = parseConfig(text, fakeEnvironmentFor(text), "chart ConfigMap");
    expect(config.server).toMatchObject({ host: "0.0.0.0", port: 8080 });
    expect(config.store.type).toBe("memory");
    expect(only(defaults, "Deployment").spec.replicas).toBe(1);
    expect(container(only(defaults, "Deployment")).env).toBeUndefined();
  });

  test("takes provider credentials, the database URI and code_hmac_key from existing Secrets, never from values", () => {
    const text = only(full, "ConfigMap").data["config.yaml"] as string;
    const config = parseConfig(text, fakeEnvironmentFor(text), "chart ConfigMap");
    expect(config.store.type).toBe("mongodb");
    expect(parseYaml(text).security.code_hmac_key).toBe("${VERIFYD_CODE_KEY}");
    const verifyd = container(only(full, "Deployment"));
    const fromSecrets = new Map<string, { name: string; key: string }>(
      verifyd.env
        .filter((variable: { valueFrom?: unknown }) => variable.valueFrom)
        .map((variable: { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }) => [variable.name, variable.valueFrom.secretKeyRef]),
    );
    expect(fromSecrets.get("VERIFYD_CODE_KEY")).toEqual({ name: "verifyd-code-key", key: "code-hmac-key" });
    expect(fromSecrets.get("MONGODB_URI")).toEqual({ name: "verifyd-mongodb", key: "uri" });
    expect(verifyd.envFrom).toEqual([{ secretRef: { name: "verifyd-providers" } }]);
    // Every ${NAME} the config reads comes from a Secret key or from verifyd-providers (the provider credentials).
    const referenced = [...text.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]!);
    const fromProviders = referenced.filter((name) => !fromSecrets.has(name));
    expect(fromProviders.sort()).toEqual(["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "VONAGE_API_KEY", "VONAGE_API_SECRET"]);
    expect(full.map((object) => object.kind)).not.toContain("Secret");
    expect(only(full, "Deployment").spec.template.metadata.annotations["checksum/config"]).toMatch(/^[0-9a-f]{64}$/);
  });

  test("the Service, the PodDisruptionBudget and the ServiceMonitor select the Deployment's pods, on the port named http", () => {
    for (const objects of [defaults, full]) {
      const podLabels = only(objects, "Deployment").spec.template.metadata.labels as Record<string, string>;
      const service = only(objects, "Service");
      expect(podLabels).toMatchObject(service.spec.selector);
      expect(service.spec.ports).toEqual([{ name: "http", port: 8080, targetPort: "http", protocol: "TCP" }]);
      expect(podLabels).toMatchObject(only(objects, "PodDisruptionBudget").spec.selector.matchLabels);
    }
    expect(only(defaults, "PodDisruptionBudget").spec).toMatchObject({ maxUnavailable: 1 });
    expect(only(full, "PodDisruptionBudget").spec).toMatchObject({ minAvailable: 2 });
    const monitor = only(full, "ServiceMonitor");
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(only(full, "Service").metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints).toEqual([{ port: "http", path: "/metrics", interval: "30s", scrapeTimeout: "10s" }]);
    expect(monitor.metadata.labels).toMatchObject({ release: "kube-prometheus-stack" });
  });

  test("the PrometheusRule holds observability/'s alert rules, valid as Prometheus rules", () => {
    const rule = only(full, "PrometheusRule");
    expect(rule.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(rule.spec.groups).toEqual(parseYaml(readFileSync(RULES, "utf8")).groups);
    expect(rule.spec.groups[0].rules[0].annotations.summary).toContain("{{ $labels.country }}");
    expect(parseRuleFile(stringifyYaml({ groups: rule.spec.groups })).groups.length).toBeGreaterThan(1);
  });

  test("keeps its copy of the alert rules (files/verifyd-alerts.yaml) equal to observability/prometheus/verifyd-alerts.yaml", () => {
    expect(readFileSync(CHART_RULES, "utf8"), "copy observability/prometheus/verifyd-alerts.yaml to deploy/helm/verifyd/files/").toBe(readFileSync(RULES, "utf8"));
  });

  test(
    "refuses values verifyd would not run with: several replicas on the memory store, mongodb without a shared code key",
    async () => {
      const replicas = await helm(["template", "verifyd", CHART, "--set", "replicaCount=2"]);
      expect(replicas.code).not.toBe(0);
      expect(replicas.stderr).toContain("replicaCount > 1 needs config.store.type: mongodb");
      const mongo = await helm(["template", "verifyd", CHART, "--set", "config.store.type=mongodb", "--set", "config.store.uri=mongodb://db:27017"]);
      expect(mongo.code).not.toBe(0);
      expect(mongo.stderr).toContain("the mongodb store needs a code_hmac_key");
    },
    TIMEOUT,
  );
});

describe("the sidecar manifest (deploy/k8s/sidecar.yaml)", () => {
  const yaml = readFileSync(SIDECAR, "utf8");
  const objects = objectsOf(yaml);

  test(
    "is accepted by kubeconform -strict against Kubernetes' schemas",
    async () => {
      const result = await kubeconform(yaml);
      expect(result.stdout + result.stderr).toMatch(/2 resources found .* Valid: 2, Invalid: 0, Errors: 0, Skipped: 0/);
      expect(result.code).toBe(0);
    },
    TIMEOUT,
  );

  test("runs verifyd as a native sidecar of the application, restricted, on 127.0.0.1 with a configuration verifyd accepts", () => {
    const deployment = only(objects, "Deployment");
    const spec = podSpec(deployment);
    const verifyd = spec.initContainers.find((candidate: { name: string }) => candidate.name === "verifyd");
    expect(verifyd.restartPolicy).toBe("Always");
    expect(verifyd.args).toEqual(["serve", "--config", "/etc/verifyd/config.yaml"]);
    expect(verifyd.ports).toBeUndefined();
    expectRestricted(verifyd.securityContext, spec.securityContext);
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"])
      expect(verifyd[probe].exec.command.join(" "), probe).toContain("http://127.0.0.1:8080/");
    const app = container(deployment, "app");
    expect(app.env).toContainEqual({ name: "VERIFYD_URL", value: "http://127.0.0.1:8080" });

    const configMap = only(objects, "ConfigMap");
    expect(spec.volumes).toContainEqual({ name: "verifyd-config", configMap: { name: configMap.metadata.name } });
    const text = configMap.data["config.yaml"] as string;
    const config = parseConfig(text, fakeEnvironmentFor(text), "sidecar ConfigMap");
    expect(config.server).toMatchObject({ host: "127.0.0.1", port: 8080 });
    expect(config.rate_limits.require_client_ip).toBe(true);
  });
});

describe("kubeconform here (which would otherwise pass vacuously)", () => {
  test(
    "refuses a misspelt field, a wrong type and an unknown kind",
    async () => {
      const yaml = readFileSync(SIDECAR, "utf8");
      const misspelt = await kubeconform(yaml.replace("readOnlyRootFilesystem: true", "readOnlyRootFilesytem: true"));
      expect(misspelt.code).not.toBe(0);
      expect(misspelt.stdout).toContain("additional properties 'readOnlyRootFilesytem' not allowed");
      const wrongType = await kubeconform(yaml.replace("replicas: 2", "replicas: two"));
      expect(wrongType.code).not.toBe(0);
      expect(wrongType.stdout).toMatch(/'\/spec\/replicas': got string, want (null or )?integer/);
      const unknown = await kubeconform("apiVersion: v1\nkind: Pood\nmetadata: { name: x }\n");
      expect(unknown.code).not.toBe(0);
      expect(unknown.stdout).toContain("could not find schema for Pood");
    },
    TIMEOUT,
  );
});
