/**
 * PromQL checks for the files in observability/, on the Prometheus project's own
 * grammar (@prometheus-io/lezer-promql, the parser behind the Prometheus UI)
 * instead of a promtool binary that takes many minutes to build.
 *
 * The grammar only knows syntax; the type rules promtool applies on top of it
 * (Prometheus's parser checkAST: argument counts and types of every function,
 * ranges only on selectors, aggregations over instant vectors, `bool` between
 * scalars, set operators between vectors, …) are checked here, so that
 * `rate(x)` or `abs(x, y)` fail as they would in Prometheus.
 */
import { parser } from "@prometheus-io/lezer-promql";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** A node of the grammar's syntax tree (@lezer/common's SyntaxNode). */
type SyntaxNode = NonNullable<ReturnType<typeof parser.parse>["topNode"]["firstChild"]>;

export type ValueType = "scalar" | "vector" | "matrix" | "string";

interface Signature {
  args: ValueType[];
  /** 0: exactly args.length; n > 0: up to n more of the last type; -1: any number more. */
  variadic: number;
  returns: ValueType;
}

const V = "vector";
const M = "matrix";
const S = "scalar";
const T = "string";

function sig(args: ValueType[], returns: ValueType = V, variadic = 0): Signature {
  return { args, variadic, returns };
}

/** Function signatures, keyed by the grammar's node name (Prometheus's promql/parser/functions.go). */
const FUNCTIONS: Record<string, Signature> = {
  ...Object.fromEntries(
    [
      "Abs",
      "Absent",
      "Acos",
      "Acosh",
      "Asin",
      "Asinh",
      "Atan",
      "Atanh",
      "Ceil",
      "Cos",
      "Cosh",
      "Deg",
      "Exp",
      "Floor",
      "HistogramAvg",
      "HistogramCount",
      "HistogramStdDev",
      "HistogramStdVar",
      "HistogramSum",
      "Ln",
      "Log10",
      "Log2",
      "Rad",
      "Sgn",
      "Sin",
      "Sinh",
      "Sort",
      "SortDesc",
      "Sqrt",
      "Tan",
      "Tanh",
      "Timestamp",
    ].map((name) => [name, sig([V])]),
  ),
  ...Object.fromEntries(
    [
      "AbsentOverTime",
      "AvgOverTime",
      "Changes",
      "CountOverTime",
      "Delta",
      "Deriv",
      "FirstOverTime",
      "Idelta",
      "Increase",
      "Irate",
      "LastOverTime",
      "MadOverTime",
      "MaxOverTime",
      "MinOverTime",
      "PresentOverTime",
      "Rate",
      "Resets",
      "StddevOverTime",
      "StdvarOverTime",
      "SumOverTime",
      "TsOfFirstOverTime",
      "TsOfLastOverTime",
      "TsOfMaxOverTime",
      "TsOfMinOverTime",
    ].map((name) => [name, sig([M])]),
  ),
  // Date functions take an optional vector (default: vector(time())).
  ...Object.fromEntries(["DayOfMonth", "DayOfWeek", "DayOfYear", "DaysInMonth", "Hour", "Minute", "Month", "Year"].map((name) => [name, sig([V], V, 1)])),
  Clamp: sig([V, S, S]),
  ClampMax: sig([V, S]),
  ClampMin: sig([V, S]),
  DoubleExponentialSmoothing: sig([M, S, S]),
  HistogramFraction: sig([S, S, V]),
  HistogramQuantile: sig([S, V]),
  Info: sig([V, V], V, 1),
  LabelJoin: sig([V, T, T, T], V, -1),
  LabelReplace: sig([V, T, T, T, T]),
  Pi: sig([], S),
  PredictLinear: sig([M, S]),
  QuantileOverTime: sig([S, M]),
  Round: sig([V, S], V, 1),
  Scalar: sig([V], S),
  SortByLabel: sig([V, T], V, -1),
  SortByLabelDesc: sig([V, T], V, -1),
  Time: sig([], S),
  Vector: sig([S]),
};

const MODIFIERS = new Set(["OffsetExpr", "StepInvariantExpr", "AnchoredExpr", "SmoothedExpr"]);
const COMPARISONS = new Set(["Eql", "Neq", "Lss", "Lte", "Gtr", "Gte"]);
const SET_OPERATORS = new Set(["And", "Or", "Unless"]);

export class PromQLError extends Error {
  override readonly name = "PromQLError";
}

/**
 * The problems Prometheus would report for `expr` (empty when it is valid
 * PromQL): syntax errors from the grammar, then type errors.
 */
export function promqlProblems(expr: string): string[] {
  const tree = parser.parse(expr);
  const problems: string[] = [];
  tree.iterate({
    enter(node) {
      // The first error node is the one to report; the grammar's recovery adds more after it.
      if (node.type.isError && problems.length === 0) problems.push(`syntax error at ${describePosition(expr, node.from)}`);
      return problems.length === 0;
    },
  });
  if (problems.length > 0) return problems;
  const root = tree.topNode.firstChild;
  if (!root) return ["empty expression"];
  const checker = new TypeChecker(expr, problems);
  checker.typeOf(root);
  if (root.nextSibling) problems.push(`unexpected ${root.nextSibling.name} after the expression`);
  return problems;
}

/** The type of a valid expression; throws PromQLError naming the problems otherwise. */
export function checkPromQL(expr: string): ValueType {
  const problems = promqlProblems(expr);
  if (problems.length > 0) throw new PromQLError(`${problems.join("; ")}\n  in: ${expr}`);
  const root = parser.parse(expr).topNode.firstChild!;
  return new TypeChecker(expr, []).typeOf(root);
}

/** The metric names an expression's selectors read (`foo` in `rate(foo{a="b"}[5m])`). */
export function metricNames(expr: string): string[] {
  checkPromQL(expr);
  const names = new Set<string>();
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name !== "VectorSelector") return undefined;
      const identifier = node.node.getChild("Identifier");
      if (identifier) names.add(expr.slice(identifier.from, identifier.to));
      for (const matcher of node.node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []) {
        const label = matcher.getChild("LabelName");
        const value = matcher.getChild("StringLiteral");
        if (label && value && expr.slice(label.from, label.to) === "__name__") names.add(JSON.parse(expr.slice(value.from, value.to)) as string);
      }
      return undefined;
    },
  });
  return [...names];
}

/** A PromQL string literal's value: "…" and '…' with Go escapes, `…` raw. */
function unquote(literal: string): string {
  const body = literal.slice(1, -1);
  if (literal.startsWith("`")) return body;
  const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", a: "\x07", b: "\b", f: "\f", v: "\v" };
  return body.replace(/\\(.)/g, (_, character: string) => escapes[character] ?? character);
}

function describePosition(expr: string, offset: number): string {
  const before = expr.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column} (near "${expr.slice(Math.max(0, offset - 12), offset + 12).replace(/\s+/g, " ")}")`;
}

class TypeChecker {
  constructor(
    private readonly expr: string,
    private readonly problems: string[],
  ) {}

  typeOf(node: SyntaxNode): ValueType {
    switch (node.name) {
      case "NumberDurationLiteral":
        return "scalar";
      case "StringLiteral":
        return "string";
      case "VectorSelector":
        this.checkSelector(node);
        return "vector";
      case "MatrixSelector": {
        const inner = node.firstChild!;
        if (inner.name !== "VectorSelector") this.problem(node, "ranges are only allowed for vector selectors");
        else this.typeOf(inner);
        return "matrix";
      }
      case "SubqueryExpr": {
        const inner = this.typeOf(node.firstChild!);
        if (inner !== "vector") this.problem(node, `subquery is only allowed on instant vector, got ${inner}`);
        return "matrix";
      }
      case "ParenExpr":
        return this.typeOf(node.firstChild!);
      case "UnaryExpr": {
        const inner = this.typeOf(node.lastChild!);
        if (inner !== "scalar" && inner !== "vector") this.problem(node, `unary expression only allowed on scalar or instant vector, got ${inner}`);
        return inner;
      }
      case "OffsetExpr":
      case "StepInvariantExpr":
      case "AnchoredExpr":
      case "SmoothedExpr": {
        // offset and @ modify a selector or a subquery, not any expression: `sum(x) offset 5m` is refused.
        let target = node.firstChild!;
        while (MODIFIERS.has(target.name)) target = target.firstChild!;
        if (!["VectorSelector", "MatrixSelector", "SubqueryExpr"].includes(target.name)) {
          this.problem(node, "a modifier (offset, @) must follow an instant or range vector selector or a subquery");
        }
        return this.typeOf(node.firstChild!);
      }
      case "BinaryExpr":
        return this.binary(node);
      case "FunctionCall":
        return this.call(node);
      case "AggregateExpr":
        this.aggregate(node);
        return "vector";
      default:
        this.problem(node, `unsupported expression ${node.name}`);
        return "vector";
    }
  }

  private checkSelector(node: SyntaxNode): void {
    const list = node.getChild("LabelMatchers");
    const matchers = [...(list?.getChildren("UnquotedLabelMatcher") ?? []), ...(list?.getChildren("QuotedLabelMatcher") ?? [])].map((matcher) => {
      const label = matcher.getChild("LabelName") ?? matcher.getChild("QuotedLabelName")?.getChild("StringLiteral");
      const value = matcher.getChild("StringLiteral");
      return {
        label: label?.name === "StringLiteral" ? unquote(this.text(label)) : label ? this.text(label) : "",
        op: this.text(matcher.getChild("MatchOp") ?? matcher),
        value: value ? unquote(this.text(value)) : "",
      };
    });
    const named = node.getChild("Identifier") !== null || list?.getChild("QuotedLabelName") != null;
    if (named) {
      if (matchers.some((matcher) => matcher.label === "__name__")) this.problem(node, "metric name must not be set twice");
      return;
    }
    // {a=""} or {a=~".*"} would select every series: Prometheus refuses a selector all of whose matchers match the empty string.
    const nonEmpty = matchers.some(({ op, value }) => {
      if (op === "=") return value !== "";
      if (op === "=~") return !new RegExp(`^(?:${value})$`).test("");
      return false;
    });
    if (!nonEmpty) this.problem(node, "vector selector must contain at least one non-empty matcher");
  }

  private binary(node: SyntaxNode): ValueType {
    const left = node.firstChild!;
    const operator = left.nextSibling!;
    const right = node.lastChild!;
    const lt = this.typeOf(left);
    const rt = this.typeOf(right);
    const op = operator.name;
    const withBool = node.getChild("BoolModifier") !== null;
    const matching = node.getChild("MatchingModifierClause");
    for (const [side, type] of [
      [left, lt],
      [right, rt],
    ] as const) {
      if (type !== "scalar" && type !== "vector") this.problem(side, `binary expression must contain only scalar and instant vector types, got ${type}`);
    }
    if (withBool && !COMPARISONS.has(op)) this.problem(node, "bool modifier can only be used on comparison operators");
    if (!withBool && COMPARISONS.has(op) && lt === "scalar" && rt === "scalar") this.problem(node, "comparisons between scalars must use BOOL modifier");
    if (matching && (lt !== "vector" || rt !== "vector")) this.problem(node, "vector matching only allowed between instant vectors");
    if (SET_OPERATORS.has(op)) {
      if (lt === "scalar" || rt === "scalar") this.problem(node, "set operator not allowed in binary scalar expression");
      if (matching?.getChild("GroupLeft") || matching?.getChild("GroupRight")) this.problem(node, "no grouping allowed for set operations");
    }
    return lt === "scalar" && rt === "scalar" ? "scalar" : "vector";
  }

  private call(node: SyntaxNode): ValueType {
    const identifier = node.getChild("FunctionIdentifier")!;
    const name = identifier.firstChild?.name ?? this.text(identifier);
    const signature = FUNCTIONS[name];
    const args = this.children(node.getChild("FunctionCallBody"));
    const label = this.text(identifier);
    if (!signature) {
      this.problem(node, `no signature known here for function "${label}" (add it to test/support/promql.ts)`);
      return "vector";
    }
    const declared = signature.args.length;
    if (signature.variadic === 0 && args.length !== declared) {
      this.problem(node, `expected ${declared} argument(s) in call to "${label}", got ${args.length}`);
    } else if (signature.variadic !== 0) {
      const min = declared - 1;
      const max = signature.variadic < 0 ? Number.POSITIVE_INFINITY : min + signature.variadic;
      if (args.length < min) this.problem(node, `expected at least ${min} argument(s) in call to "${label}", got ${args.length}`);
      if (args.length > max) this.problem(node, `expected at most ${max} argument(s) in call to "${label}", got ${args.length}`);
    }
    args.forEach((arg, index) => {
      if (index >= declared && signature.variadic === 0) return;
      const want = signature.args[Math.min(index, declared - 1)]!;
      this.expect(arg, want, `call to function "${label}"`);
    });
    return signature.returns;
  }

  private aggregate(node: SyntaxNode): void {
    const op = node.getChild("AggregateOp")?.firstChild?.name ?? "";
    const args = this.children(node.getChild("FunctionCallBody"));
    const parameter = ({ Topk: S, Bottomk: S, Quantile: S, LimitK: S, LimitRatio: S, CountValues: T } as Record<string, ValueType>)[op];
    const wanted = parameter ? 2 : 1;
    if (args.length !== wanted) {
      this.problem(node, `expected ${wanted} argument(s) in aggregation "${this.text(node.getChild("AggregateOp") ?? node)}", got ${args.length}`);
      return;
    }
    if (parameter) this.expect(args[0]!, parameter, "aggregation parameter");
    this.expect(args[wanted - 1]!, V, "aggregation expression");
  }

  private expect(node: SyntaxNode, want: ValueType, context: string): void {
    const got = this.typeOf(node);
    if (got !== want) this.problem(node, `expected type ${want} in ${context}, got ${got}`);
  }

  private children(node: SyntaxNode | null): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let child = node?.firstChild ?? null; child; child = child.nextSibling) out.push(child);
    return out;
  }

  private text(node: SyntaxNode): string {
    return this.expr.slice(node.from, node.to);
  }

  private problem(node: SyntaxNode, message: string): void {
    this.problems.push(`${message} (at ${describePosition(this.expr, node.from)}: "${this.text(node).slice(0, 60)}")`);
  }
}

// ---------------------------------------------------------------------------
// Rule files (what `promtool check rules` checks besides the expressions):
// Prometheus's rulefmt, as a schema.

/** A Prometheus duration: 1d, 5m, 1h30m, 250ms (units in this order, each at most once). */
const DURATION = /^(?:0|(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?)$/;
const duration = z
  .string()
  .regex(DURATION, "not a Prometheus duration (such as 30s, 5m, 1h30m)")
  .refine((text) => text !== "", "empty duration");
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "not a valid label name")
  .refine((name) => !name.startsWith("__"), "label names starting with __ are reserved");
/** Label and annotation values are Go templates: at least their actions must be closed. */
const template = z.string().refine((text) => (text.match(/\{\{/g) ?? []).length === (text.match(/\}\}/g) ?? []).length, "unbalanced {{ }} in template");

const expression = z.string().superRefine((expr, ctx) => {
  const problems = promqlProblems(expr);
  for (const problem of problems) ctx.addIssue({ code: "custom", message: problem });
  if (problems.length === 0) {
    const type = checkPromQL(expr);
    if (type !== "vector" && type !== "scalar") ctx.addIssue({ code: "custom", message: `a rule's expression must be an instant vector or a scalar, got ${type}` });
  }
});

const ruleSchema = z
  .strictObject({
    record: z.string().regex(METRIC_NAME, "a recording rule's name must be a valid metric name").optional(),
    alert: z.string().min(1).optional(),
    expr: expression,
    for: duration.optional(),
    keep_firing_for: duration.optional(),
    labels: z.record(labelName, template).optional(),
    annotations: z.record(labelName, template).optional(),
  })
  .superRefine((rule, ctx) => {
    if ((rule.record === undefined) === (rule.alert === undefined)) ctx.addIssue({ code: "custom", message: "a rule has exactly one of record and alert" });
    if (rule.record !== undefined) {
      for (const key of ["for", "keep_firing_for", "annotations"] as const) {
        if (rule[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: `invalid field '${key}' in recording rule` });
      }
    }
  });

export const ruleFileSchema = z.strictObject({
  groups: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        interval: duration.optional(),
        query_offset: duration.optional(),
        limit: z.number().int().min(0).optional(),
        labels: z.record(labelName, z.string()).optional(),
        rules: z.array(ruleSchema),
      }),
    )
    .superRefine((groups, ctx) => {
      const seen = new Set<string>();
      for (const group of groups) {
        if (seen.has(group.name)) ctx.addIssue({ code: "custom", message: `groupname: "${group.name}" is repeated in the same file` });
        seen.add(group.name);
      }
    }),
});

export type RuleFile = z.infer<typeof ruleFileSchema>;

/** A rule file's groups, or a PromQLError listing every problem with where it is. */
export function parseRuleFile(text: string): RuleFile {
  const result = ruleFileSchema.safeParse(parseYaml(text));
  if (result.success) return result.data;
  const describe = (issue: z.core.$ZodIssue): string =>
    // A bad key of labels/annotations: zod nests the key's own issues.
    issue.code === "invalid_key" ? issue.issues.map((inner) => inner.message).join(", ") : issue.message;
  throw new PromQLError(result.error.issues.map((issue) => `${issue.path.join(".") || "(top level)"}: ${describe(issue)}`).join("\n"));
}
