import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { startTestServer, type TestServer } from "../support/server.js";
import { scrape } from "./prometheus.js";
import { inMemoryTelemetry, telemetryScenario } from "./scenario.js";
import { PER_PHONE_LIMIT, scriptedRun } from "./scripted-run.js";

const DASHBOARD = resolve("observability/grafana/verifyd-dashboard.json");
const RULES = resolve("observability/prometheus/verifyd-alerts.yaml");
const PROMTOOL = resolve(".tools/bin/promtool");

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

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as Dashboard;
const rules = parseYaml(readFileSync(RULES, "utf8")) as { groups: Array<{ name: string; rules: Rule[] }> };

/** PromQL's own words: functions, aggregations, operators and modifiers, which are not metric names. */
const PROMQL_WORDS = new Set([
  ..."sum avg min max count stddev stdvar topk bottomk quantile count_values group".split(" "),
  ..."rate irate increase delta idelta deriv changes resets histogram_quantile label_replace label_join vector scalar time absent absent_over_time".split(" "),
  ..."min_over_time max_over_time avg_over_time sum_over_time count_over_time quantile_over_time last_over_time clamp_min clamp_max clamp abs ceil floor round sort sort_desc".split(
    " ",
  ),
  ..."and or unless by without on ignoring group_left group_right offset bool inf nan label_values".split(" "),
]);

/**
 * The metric names a PromQL expression reads: what is left once strings,
 * label matchers, ranges, grouping clauses, numbers and PromQL's own words are
 * taken out. Deliberately strict: a misspelt metric shows up as a name that
 * /metrics does not have.
 */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\boffset\s+\S+/g, " ")
    .replace(/\$\w+/g, " ");
  const names = new Set<string>();
  for (const [word] of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    if (!PROMQL_WORDS.has(word) && !/^\d/.test(word)) names.add(word);
  }
  return [...names];
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
  test("parse as rule groups, each alert with an expression, a duration, a severity and words for the person paged", () => {
    expect(rules.groups.length).toBeGreaterThan(0);
    for (const group of rules.groups) {
      expect(group.name).toMatch(/^verifyd-/);
      expect(group.rules.length).toBeGreaterThan(0);
    }
    for (const rule of ruleList) {
      expect(rule.alert, "every rule is an alert").toMatch(/^Verifyd[A-Z][A-Za-z]+$/);
      expect(typeof rule.expr).toBe("string");
      expect(rule.for).toMatch(/^\d+[smhd]$/);
      expect(["page", "ticket"]).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      expect(countOf(rule.expr, "("), `${rule.alert}: balanced parentheses`).toBe(countOf(rule.expr, ")"));
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

  // promtool is installed by scripts/install-tools.sh (npm test runs it first); missing, these fail.
  test("pass promtool check rules", async () => {
    if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: run bash scripts/install-tools.sh`);
    const { stdout } = await promisify(execFile)(PROMTOOL, ["check", "rules", RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  test("the dashboard's queries are valid PromQL too (checked by promtool as recording rules)", async () => {
    if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: run bash scripts/install-tools.sh`);
    const dir = await mkdtemp(join(tmpdir(), "verifyd-dashboard-"));
    try {
      // Grafana's variables, as Grafana would expand them.
      const expressions = dashboard.panels
        .flatMap((panel) => panel.targets ?? [])
        .map((target) => target.expr.replaceAll("$__rate_interval", "5m").replaceAll("$country", ".*").replaceAll("$provider", ".*"));
      const file = join(dir, "dashboard-queries.yaml");
      await writeFile(
        file,
        stringifyYaml({ groups: [{ name: "dashboard", rules: expressions.map((expr, index) => ({ record: `dashboard:query_${index}`, expr })) }] }),
      );
      const { stdout } = await promisify(execFile)(PROMTOOL, ["check", "rules", "--lint=none", file]);
      expect(stdout).toContain(`SUCCESS: ${expressions.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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

  test("is found by the metric-name reader (which would otherwise pass vacuously)", () => {
    expect(metricNamesIn('sum by (le, provider) (rate(verifyd_time_to_delivery_seconds_bucket{country=~"$country"}[$__rate_interval]))')).toEqual([
      "verifyd_time_to_delivery_seconds_bucket",
    ]);
    expect(metricNamesIn("label_values(verifyd_sends_total, country)")).toEqual(["verifyd_sends_total", "country"]);
  });

  test("exists in verifyd's /metrics after a scripted run", () => {
    const fromDashboard = dashboardQueries().flatMap((query) =>
      // label_values(metric, label): only the first argument names a metric.
      query.startsWith("label_values(") ? [/label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(query)![1]!] : metricNamesIn(query),
    );
    const fromRules = ruleList.flatMap((rule) => metricNamesIn(rule.expr));
    expect(fromDashboard.length).toBeGreaterThan(10);
    expect(fromRules.length).toBeGreaterThan(4);
    const missing = [...new Set([...fromDashboard, ...fromRules])].filter((name) => !served.has(name));
    expect(missing, `queried but not served; served: ${[...served].join(", ")}`).toEqual([]);
  });
});

function countOf(text: string, character: string): number {
  return text.split(character).length - 1;
}
