// The generated Go and Python clients and the OpenAPI descriptions (buf.gen.clients.yaml):
//   tsx scripts/check-clients.ts           fails when clients/ or openapi/ is stale against proto/ (npm run check:clients)
//   tsx scripts/check-clients.ts --write   regenerates them in place (npm run generate:clients)
// Either way buf generates into a scratch folder with the local plugins of
// scripts/install-codegen-tools.sh. Only generated files are compared or
// replaced (the patterns below); go.mod, pyproject.toml, the examples and the
// hand-written OpenAPI bases beside them are left alone.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

const TEMPLATE = "buf.gen.clients.yaml";
const INSTALL = "bash scripts/install-codegen-tools.sh";
/** Each output folder of the template and the files in it that the template writes. */
const OUTPUTS: ReadonlyArray<{ dir: string; generated: RegExp }> = [
  { dir: "clients/go", generated: /\.pb\.go$/ },
  { dir: "clients/python/src", generated: /_pb2(_grpc)?\.pyi?$/ },
  { dir: "openapi", generated: /\.openapi\.yaml$/ },
];
const TOOLS = [
  ".tools/bin/protoc-gen-go",
  ".tools/bin/protoc-gen-go-grpc",
  ".tools/bin/protoc-gen-connect-openapi",
  ".tools/python/bin/python",
  ".tools/python/bin/python-grpc-tools-protoc",
];

function listGenerated(root: string, pattern: RegExp): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (pattern.test(name)) out.push(relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

const write = process.argv.includes("--write");
const missing = TOOLS.filter((tool) => !existsSync(tool));
if (missing.length > 0) {
  console.error(`The client code generators are not installed (${missing.join(", ")}): run \`${INSTALL}\``);
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), "verifyd-clients-"));
try {
  execFileSync("buf", ["generate", "--template", TEMPLATE, "--output", scratch], { stdio: "inherit" });
  const problems: string[] = [];
  let count = 0;
  for (const { dir, generated } of OUTPUTS) {
    const fresh = join(scratch, dir);
    const want = listGenerated(fresh, generated);
    const have = listGenerated(dir, generated);
    count += want.length;
    for (const file of want) {
      const source = join(fresh, file);
      const target = join(dir, file);
      const state = !have.includes(file) ? "missing" : readFileSync(source).equals(readFileSync(target)) ? "same" : "stale";
      if (state === "same") continue;
      if (write) {
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(source, target);
      }
      problems.push(`${state}: ${target}`);
    }
    for (const file of have) {
      if (want.includes(file)) continue;
      if (write) rmSync(join(dir, file));
      problems.push(`extra: ${join(dir, file)}`);
    }
  }
  if (write) {
    console.log(problems.length === 0 ? `clients are up to date (${count} files)` : `regenerated:\n  ${problems.join("\n  ")}`);
  } else if (problems.length > 0) {
    console.error(
      `clients/ and openapi/ do not match proto/ (run \`npm run generate:clients\`; with other generator versions, \`${INSTALL}\` first):\n  ${problems.join("\n  ")}`,
    );
    process.exit(1);
  } else {
    console.log(`clients/ and openapi/ are up to date (${count} files)`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
