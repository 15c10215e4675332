// Fails when gen/ is stale against proto/ (or test/conformance/gen against
// test/conformance/proto): regenerates each into a scratch folder with the same
// buf.gen template and compares every file byte for byte.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(root, full));
    }
  };
  walk(root);
  return out.sort();
}

/** Each generated tree, the buf.gen template that makes it, and the command that regenerates it. */
const TARGETS = [
  { template: "buf.gen.yaml", out: "gen", fix: "npm run generate" },
  // The conformance suite's protos, for the test-only server of test/conformance.
  { template: "test/conformance/buf.gen.yaml", out: "test/conformance/gen", fix: "buf generate --template test/conformance/buf.gen.yaml" },
];

let failed = false;
for (const { template, out, fix } of TARGETS) {
  const scratch = mkdtempSync(join(tmpdir(), "verifyd-gen-"));
  try {
    execFileSync("buf", ["generate", "--template", template, "--output", scratch], { stdio: "inherit" });
    const fresh = join(scratch, out);
    const want = listFiles(fresh);
    const have = listFiles(out);
    const problems: string[] = [];
    for (const file of want) {
      if (!have.includes(file)) problems.push(`missing: ${out}/${file}`);
      else if (!readFileSync(join(fresh, file)).equals(readFileSync(join(out, file)))) {
        problems.push(`stale: ${out}/${file}`);
      }
    }
    for (const file of have) if (!want.includes(file)) problems.push(`extra: ${out}/${file}`);
    if (problems.length > 0) {
      console.error(`${out}/ does not match its protos (run \`${fix}\`):\n  ${problems.join("\n  ")}`);
      failed = true;
    } else {
      console.log(`${out}/ is up to date (${want.length} files)`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
if (failed) process.exit(1);
