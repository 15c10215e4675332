import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse as parseYaml } from "yaml";
import { checkPromQL, metricNames, PromQLError, parseRuleFile, promqlProblems } from "../support/promql.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { scrape } from "./prometheus.js";
import { inMemoryTelemetry, telemetryScenario } from "./scenario.js";
import { PER_PHONE_LIMIT, scriptedRun } from "./scripted-run.js";

const DASHBOARD = resolve("observability/grafana/verifyd-dashboard.json");
const RULES = resolve("observability/prometheus/verifyd-alerts.yaml");

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: Array<{ expr: string; refId: string; datasource?: { uid: string } }>;
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string | { query: string } }> };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as Dashboard;
const rulesText = readFileSync(RULES, "utf8");
/** Read loosely here; the test "follow Prometheus's rule file format" holds it to the format. */
const rules = parseYaml(rulesText) as { groups: Array<{ name: string; rules: Rule[] }> };

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A dashboard query as Grafana sends it: its range variables as a duration, the others (in regex matchers) as ".*". */
function expandGrafanaVariables(query: string): string {
  return query.replace(/\$\{?(\w+)\}?/g, (_, name: string) => (name.startsWith("__") ? "5m" : ".*"));
}

/** label_values(metric, label), a Grafana templating function: the PromQL in it is its first argument. */
function labelValuesSelector(query: string): string | undefined {
  return /^label_values\(\s*(.+?)\s*,\s*[a-zA-Z_]\w*\s*\)$/.exec(query)?.[1];
}

function dashboardQueries(): string[] {
  const panelQueries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
  const variableQueries = dashboard.templating.list
    .filter((variable) => variable.type === "query")
    .map((variable) => (typeof variable.query === "string" ? variable.query : variable.query.query));
  return [...panelQueries, ...variableQueries];
}

const ruleList = rules.groups.flatMap((group) => group.rules);

describe("the Grafana dashboard (observability/grafana/verifyd-dashboard.json)", () => {
  test("is a dashboard Grafana can import: unique panel ids, a 24-column grid, every query on the chosen data source", () => {
    expect(dashboard.uid).toBe("verifyd-overview");
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
      if (panel.type === "row") continue;
      expect(panel.targets?.length, `${panel.title} has queries`).toBeGreaterThan(0);
      expect(panel.datasource?.uid).toBe("${datasource}");
      for (const target of panel.targets!) expect(target.datasource?.uid).toBe("${datasource}");
    }
    expect(dashboard.templating.list.map((variable) => variable.name)).toEqual(["datasource", "country", "provider"]);
  });

  test("shows what the issue asks for: delivery per country, failover by reason, breakers, scores, cost per success, streams, timers, rate limits", () => {
    const queries = dashboardQueries().join("\n");
    for (const metric of [
      "verifyd_receipts_total",
      "verifyd_failovers_total",
      "verifyd_breaker_state",
      "verifyd_provider_score",
      "verifyd_spend_total",
      "verifyd_verifications_verified_total",
      "verifyd_watch_streams",
      "verifyd_timers_in_flight",
      "verifyd_rate_limit_rejections_total",
      "verifyd_time_to_delivery_seconds_bucket",
      "verifyd_time_to_verify_seconds_bucket",
    ]) {
      expect(queries).toContain(metric);
    }
  });
});

describe("the Prometheus alert rules (observability/prometheus/verifyd-alerts.yaml)", () => {
  test("follow Prometheus's rule file format, every expression valid PromQL (what promtool check rules checks)", () => {
    const file = parseRuleFile(rulesText);
    expect(file.groups.flatMap((group) => group.rules)).toHaveLength(ruleList.length);
  });

  test("parse as rule groups, each alert with an expression, a duration, a severity and words for the person paged", () => {
    expect(rules.groups.length).toBeGreaterThan(0);
    for (const group of rules.groups) {
      expect(group.name).toMatch(/^verifyd-/);
      expect(group.rules.length).toBeGreaterThan(0);
    }
    for (const rule of ruleList) {
      expect(rule.alert, "every rule is an alert").toMatch(/^Verifyd[A-Z][A-Za-z]+$/);
      expect(checkPromQL(rule.expr), `${rule.alert}: an instant vector`).toBe("vector");
      expect(rule.for).toMatch(/^\d+[smhd]$/);
      expect(["page", "ticket"]).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
    }
  });

  test("cover a delivery cliff per country, a breaker open for long, and failover rate and cost per success spiking", () => {
    const alerts = ruleList.map((rule) => rule.alert);
    expect(alerts).toEqual(
      expect.arrayContaining(["VerifydDeliveryRateDropped", "VerifydBreakerOpenTooLong", "VerifydFailoverRateSpiking", "VerifydCostPerSuccessSpiking"]),
    );
    const byName = new Map(ruleList.map((rule) => [rule.alert, rule]));
    expect(byName.get("VerifydDeliveryRateDropped")!.expr).toMatch(/sum by \(country\)/);
    expect(byName.get("VerifydCostPerSuccessSpiking")!.expr).toMatch(/verifyd_spend_total[\s\S]*verifyd_verifications_verified_total/);
  });
});

describe("the dashboard's queries", () => {
  test("are valid PromQL, each an instant vector or a scalar (what a Grafana range query needs), once Grafana's variables are expanded", () => {
    const queries = dashboard.panels.flatMap((panel) => panel.targets ?? []).map((target) => expandGrafanaVariables(target.expr));
    expect(queries.length).toBeGreaterThan(10);
    for (const query of queries) expect(["vector", "scalar"], query).toContain(checkPromQL(query));
  });

  test("for the template variables, label_values over a valid series selector", () => {
    const variableQueries = dashboardQueries().filter((query) => query.startsWith("label_values("));
    expect(variableQueries).toHaveLength(2);
    for (const query of variableQueries) {
      const selector = labelValuesSelector(query);
      expect(selector, query).toBeDefined();
      expect(checkPromQL(selector!)).toBe("vector");
    }
  });
});

describe("the PromQL checks themselves (which would otherwise pass vacuously)", () => {
  const broken: Array<[string, RegExp]> = [
    ['sum by (country) (rate(verifyd_sends_total{outcome="accepted"}[5m])', /syntax error/],
    ["sum by (country) (rate(verifyd_sends_total[5m])) >", /syntax error/],
    ["sum by (country) (rate(verifyd_sends_total))", /expected type matrix in call to function "rate", got vector/],
    ["histogram_quantile(sum by (le) (rate(verifyd_timer_lateness_seconds_bucket[5m])))", /expected 2 argument\(s\) in call to "histogram_quantile"/],
    ["sum(verifyd_sends_total)[5m]", /ranges are only allowed for vector selectors/],
    ["verifyd_sends_total and 1", /set operator not allowed in binary scalar expression/],
    ["rate(verifyd_sends_tota[5m]) > 1 > 2 bool", /syntax error/],
    ["1 > 2", /comparisons between scalars must use BOOL modifier/],
    ["rated(verifyd_sends_total[5m])", /syntax error/],
  ];

  test.each(broken)("a broken expression fails: %s", (expr, problem) => {
    expect(promqlProblems(expr).join("\n")).toMatch(problem);
    expect(() => checkPromQL(expr)).toThrow(PromQLError);
  });

  test("the real alert rules with one expression broken fail the rule-file check, naming the rule", () => {
    const mangled = rulesText.replace("rate(verifyd_timer_lateness_seconds_bucket[5m])", "rate(verifyd_timer_lateness_seconds_bucket)");
    expect(mangled).not.toBe(rulesText);
    expect(() => parseRuleFile(mangled)).toThrow(/groups\.\d+\.rules\.\d+\.expr: expected type matrix in call to function "rate"/);
  });

  test.each([
    ["a rule both alert and record", "groups: [{ name: g, rules: [{ alert: A, record: a, expr: up }] }]", /exactly one of record and alert/],
    ["a duration in words", "groups: [{ name: g, rules: [{ alert: A, expr: up, for: 10 minutes }] }]", /for: not a Prometheus duration/],
    ["a recording rule named like an alert", "groups: [{ name: g, rules: [{ record: verifyd-rate, expr: up }] }]", /valid metric name/],
    ["a recording rule with a for", "groups: [{ name: g, rules: [{ record: job:up, expr: up, for: 5m }] }]", /invalid field 'for' in recording rule/],
    ["a repeated group", "groups: [{ name: g, rules: [] }, { name: g, rules: [] }]", /"g" is repeated/],
    ["an unknown key", "groups: [{ name: g, rules: [{ alert: A, expr: up, severity: page }] }]", /severity/],
    ["a bad label name", "groups: [{ name: g, rules: [{ alert: A, expr: up, labels: { team-name: x } }] }]", /not a valid label name/],
    ["an unclosed template", 'groups: [{ name: g, rules: [{ alert: A, expr: up, annotations: { summary: "{{ $labels.x" } }] }]', /unbalanced/],
    ["a range vector as the expression", "groups: [{ name: g, rules: [{ alert: A, expr: 'up[5m]' }] }]", /instant vector or a scalar, got matrix/],
  ])("a rule file with %s fails", (_, text, problem) => {
    expect(() => parseRuleFile(text)).toThrow(problem);
  });

  test("valid PromQL passes, with the types Prometheus gives it", () => {
    expect(checkPromQL('histogram_quantile(0.9, sum by (le) (rate(x_bucket{a=~"b|c"}[5m] offset 1h)))')).toBe("vector");
    expect(checkPromQL("scalar(sum(up)) * 2")).toBe("scalar");
    expect(checkPromQL("max_over_time(sum(rate(x[1m]))[10m:1m])")).toBe("vector");
    expect(checkPromQL("x / on (a) group_left (b) y > bool 0")).toBe("vector");
    expect(checkPromQL("up[5m]")).toBe("matrix");
  });
});

describe("every metric the dashboard and the alerts query", () => {
  let server: TestServer;
  let served: Set<string>;

  beforeAll(async () => {
    server = await startTestServer({ config: telemetryScenario({ perPhone: PER_PHONE_LIMIT }), telemetry: inMemoryTelemetry(false).telemetry });
    await scriptedRun(server);
    served = (await scrape(server.url)).names();
  }, 30_000);
  afterAll(async () => server?.close());

  test("is found by the metric-name reader (the selectors of the parsed query)", () => {
    expect(
      metricNames(expandGrafanaVariables('sum by (le, provider) (rate(verifyd_time_to_delivery_seconds_bucket{country=~"$country"}[$__rate_interval]))')),
    ).toEqual(["verifyd_time_to_delivery_seconds_bucket"]);
    expect(metricNames('a_total / on (country) group_left {__name__="c_total"} and d')).toEqual(["a_total", "c_total", "d"]);
    expect(labelValuesSelector("label_values(verifyd_sends_total, country)")).toBe("verifyd_sends_total");
  });

  test("exists in verifyd's /metrics after a scripted run", () => {
    const fromDashboard = dashboardQueries().flatMap((query) => metricNames(labelValuesSelector(query) ?? expandGrafanaVariables(query)));
    const fromRules = ruleList.flatMap((rule) => metricNames(rule.expr));
    expect(fromDashboard.length).toBeGreaterThan(10);
    expect(fromRules.length).toBeGreaterThan(4);
    const missing = [...new Set([...fromDashboard, ...fromRules])].filter((name) => !served.has(name));
    expect(missing, `queried but not served; served: ${[...served].join(", ")}`).toEqual([]);
  });
});
