import { readFileSync } from "node:fs";
// Fails when the folders of src/ import each other in a cycle, and prints the folder graph.
//
// dependency-cruiser (with .dependency-cruiser.cjs, so the same parser and resolution as
// `depcruise`) lists every module of src/ and what it imports; each module is collapsed to its
// top-level folder under src/ (src/verification/transitions/start.ts -> "verification"; a file
// directly in src/, like src/main.ts, is its own node "main"). An edge X -> Y means some module in
// X imports (type-only imports included) some module in Y. Any strongly connected set of two or
// more folders is a cycle: it is listed with the imports that make it, and the script exits 1.
//
//   tsx scripts/check-layers.ts             the check, then the graph as text
//   tsx scripts/check-layers.ts --mermaid   the graph as a Mermaid flowchart (for the README)
import { fileURLToPath } from "node:url";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONFIG = "./.dependency-cruiser.cjs";
const SOURCE = "src";

/** One import between two folders, kept to explain a cycle. */
interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** src/verification/x.ts -> "verification"; src/main.ts -> "main"; outside src/ -> undefined. */
export function folderOf(path: string): string | undefined {
  const parts = path.split("/");
  if (parts[0] !== SOURCE || parts.length < 2) return undefined;
  if (parts.length === 2) return parts[1]!.replace(/\.[cm]?[jt]sx?$/, "");
  return parts[1];
}

/** Folder -> folder -> the imports that make that edge. */
export function folderGraph(result: ICruiseResult): Map<string, Map<string, Import[]>> {
  const graph = new Map<string, Map<string, Import[]>>();
  for (const module of result.modules) {
    const from = folderOf(module.source);
    if (from === undefined) continue;
    if (!graph.has(from)) graph.set(from, new Map());
    for (const dependency of module.dependencies) {
      if (dependency.couldNotResolve) continue;
      const to = folderOf(dependency.resolved);
      if (to === undefined || to === from) continue;
      const edges = graph.get(from)!;
      if (!edges.has(to)) edges.set(to, []);
      edges.get(to)!.push({ from: module.source, to: dependency.resolved, typeOnly: dependency.dependencyTypes.includes("type-only") });
    }
  }
  return graph;
}

/** Tarjan's strongly connected components; returns those of two or more nodes, each sorted. */
export function cycles(graph: Map<string, Map<string, unknown>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

function describeEdge(imports: Import[]): string {
  const typeOnly = imports.every((i) => i.typeOnly);
  return `${imports.length} import${imports.length === 1 ? "" : "s"}${typeOnly ? ", all type-only" : ""}`;
}

function textGraph(graph: Map<string, Map<string, Import[]>>): string[] {
  return [...graph.keys()].sort().map((folder) => {
    const targets = [...graph.get(folder)!.keys()].sort();
    return `${folder} -> ${targets.length > 0 ? targets.join(", ") : "(nothing in src/)"}`;
  });
}

function mermaidGraph(graph: Map<string, Map<string, Import[]>>): string[] {
  const lines = ["```mermaid", "flowchart TD"];
  for (const folder of [...graph.keys()].sort()) {
    const targets = [...graph.get(folder)!.keys()].sort();
    if (targets.length === 0) lines.push(`  ${folder}`);
    for (const target of targets) lines.push(`  ${folder} --> ${target}`);
  }
  lines.push("```");
  return lines;
}

/** A file should read top to bottom in a few minutes; past this it wants to be a folder. */
const MAX_FILE_LINES = 350;

function oversizedFiles(result: ICruiseResult): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  for (const module of result.modules) {
    if (!module.source.startsWith(`${SOURCE}/`) || !module.source.endsWith(".ts")) continue;
    const lines = readFileSync(module.source, "utf8").split("\n").length;
    if (lines > MAX_FILE_LINES) found.push([module.source, lines]);
  }
  return found;
}

async function main(argv: string[]): Promise<number> {
  process.chdir(ROOT);
  const options = await extractDepcruiseOptions(CONFIG);
  // Rules are `depcruise`'s job; here only the module graph is needed.
  const { output } = await cruise([SOURCE], { ...options, ruleSet: {}, validate: false, outputType: "json" });
  const result: ICruiseResult = typeof output === "string" ? JSON.parse(output) : output;
  const graph = folderGraph(result);

  if (argv.includes("--mermaid")) {
    console.log(mermaidGraph(graph).join("\n"));
    return 0;
  }

  const oversized = oversizedFiles(result);
  for (const [file, lines] of oversized) console.error(`${file} has ${lines} lines; keep files under ${MAX_FILE_LINES} (split it by what it does)`);
  const found = cycles(graph);
  console.log(`Folder graph of ${SOURCE}/ (${graph.size} folders; "X -> Y": something in X imports something in Y):`);
  for (const line of textGraph(graph)) console.log(`  ${line}`);
  if (found.length === 0) {
    console.log("\nNo folder cycles.");
    return oversized.length === 0 ? 0 : 1;
  }
  console.error(`\n${found.length} folder cycle${found.length === 1 ? "" : "s"}:`);
  for (const component of found) {
    console.error(`\n  ${component.join(" <-> ")}`);
    for (const from of component) {
      for (const to of component) {
        const imports = graph.get(from)?.get(to);
        if (!imports) continue;
        console.error(`    ${from} -> ${to} (${describeEdge(imports)}):`);
        for (const i of imports) console.error(`      ${i.from} -> ${i.to}${i.typeOnly ? " (type-only)" : ""}`);
      }
    }
  }
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
