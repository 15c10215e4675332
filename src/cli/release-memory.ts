import v8 from "node:v8";
import vm from "node:vm";

type GcFunction = (options?: { type?: "major" | "minor"; execution?: "sync" | "async"; flavor?: "regular" | "last-resort" }) => void;

/**
 * Gives back, once, the memory that start-up used and no longer needs: one
 * full, compacting garbage collection of the kind V8 runs when memory is
 * short, which also shrinks the young generation.
 *
 * Loading and configuring verifyd allocates fast, so V8 grows its young
 * generation while starting (up to 32 MiB), and shrinks it only in a
 * collection that aims to reduce memory, which an idle process never gets:
 * about 10 of 87 MiB idle from the bundled build, 36 of 130 from the
 * unbundled one. Under load V8 grows the young generation back as it sees
 * fit, so throughput is what it was; a cap
 * (`node --max-semi-space-size=N`) would also keep the idle figure down, at
 * a cost on every busy second (README, "Memory").
 *
 * The collection is V8's `gc` function, which Node exposes only with
 * --expose-gc: the flag is set for as long as it takes to fetch the function
 * from a fresh context (as Jest's --logHeapUsage does), and reset. It stops
 * the process for a few tens of milliseconds, right after it starts to listen.
 */
export function releaseStartupMemory(): void {
  // Started with --expose-gc (a benchmark's probe), the function is there already.
  let gc = (globalThis as { gc?: GcFunction }).gc;
  if (!gc) {
    v8.setFlagsFromString("--expose-gc");
    try {
      gc = vm.runInNewContext("gc") as GcFunction;
    } finally {
      v8.setFlagsFromString("--no-expose-gc");
    }
  }
  gc({ type: "major", execution: "sync", flavor: "last-resort" });
}
