/**
 * In-process CPU profiling through the inspector (the same data as
 * `node --cpu-prof`), and a short self-time summary of a profile: by function
 * and by where the code lives (a src/ file, a package, node internals).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { REPO_ROOT } from "./shared.js";

export interface CpuProfiler {
  /** Stops, writes the .cpuprofile (open it in Chrome DevTools) and returns a summary. */
  stop(path: string): Promise<string>;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export async function startProfiler(intervalUs = 200): Promise<CpuProfiler> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: intervalUs });
  await session.post("Profiler.start");
  return {
    async stop(path) {
      const { profile } = (await session.post("Profiler.stop")) as { profile: Profile };
      session.disconnect();
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(profile));
      return summarizeProfile(profile, path);
    },
  };
}

export function summarizeProfile(profile: Profile, path: string, top = 15): string {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the gap to the next one.
    const us = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + us);
  }
  let total = 0;
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const place = placeOf(url);
    if (functionName === "(idle)" || functionName === "(program)") {
      byPlace.set(functionName, (byPlace.get(functionName) ?? 0) + us);
      continue;
    }
    total += us;
    // tsx's transformed modules report line 0 for everything; only real line numbers are shown.
    const key = `${functionName || "(anonymous)"}  ${place === "(native)" ? "" : shortUrl(url)}${url && lineNumber > 0 ? `:${lineNumber + 1}` : ""}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`  profile ${relative(REPO_ROOT, path)} (self time, % of busy samples; idle and (program) excluded):`];
  lines.push("    by place:");
  for (const [place, us] of [...byPlace]
    .filter(([p]) => p !== "(idle)" && p !== "(program)")
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)) {
    lines.push(`      ${pct(us)}  ${place}`);
  }
  lines.push("    by function:");
  for (const [key, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`      ${pct(us)}  ${key}`);
  return lines.join("\n");
}

function placeOf(url: string): string {
  if (!url) return "(native)";
  if (url.startsWith("node:")) return "node internals";
  const file = url.startsWith("file://") ? fileURLToPath(url) : url;
  const modules = file.lastIndexOf("node_modules/");
  if (modules !== -1) {
    const rest = file.slice(modules + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const inRepo = relative(REPO_ROOT, file);
  return inRepo.startsWith("..") ? file : inRepo;
}

function shortUrl(url: string): string {
  if (url.startsWith("node:")) return url;
  const file = url.startsWith("file://") ? fileURLToPath(url) : url;
  const modules = file.lastIndexOf("node_modules/");
  if (modules !== -1) return file.slice(modules + "node_modules/".length);
  const inRepo = relative(REPO_ROOT, file);
  return inRepo.startsWith("..") ? file : inRepo;
}
