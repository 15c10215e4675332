// Fails when gen/ is stale against proto/: regenerates into a scratch folder
// with the same buf.gen.yaml and compares every file byte for byte.
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

const scratch = mkdtempSync(join(tmpdir(), "verifyd-gen-"));
try {
  execFileSync("buf", ["generate", "--output", scratch], { stdio: "inherit" });
  const fresh = join(scratch, "gen");
  const want = listFiles(fresh);
  const have = listFiles("gen");
  const problems: string[] = [];
  for (const file of want) {
    if (!have.includes(file)) problems.push(`missing: gen/${file}`);
    else if (!readFileSync(join(fresh, file)).equals(readFileSync(join("gen", file)))) {
      problems.push(`stale: gen/${file}`);
    }
  }
  for (const file of have) if (!want.includes(file)) problems.push(`extra: gen/${file}`);
  if (problems.length > 0) {
    console.error(`gen/ does not match proto/ (run \`npm run generate\`):\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`gen/ is up to date (${want.length} files)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
