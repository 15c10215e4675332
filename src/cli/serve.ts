import type { Config } from "../config/schema.js";
import { startProcessTelemetry } from "../telemetry/telemetry.js";
import type { Output } from "./output.js";
import { releaseStartupMemory } from "./release-memory.js";

/**
 * `verifyd serve`: one process that serves until SIGTERM or SIGINT, then
 * drains (see App.close) and exits 0. A second signal while draining exits
 * at once, with 1.
 */
export async function serve(config: Config, overrides: { port?: number; host?: string }, output: Output): Promise<number> {
  // Before the app is loaded: with tracing on, the Node SDK must hook libraries (the MongoDB driver) as they load.
  const telemetry = await startProcessTelemetry();
  const { startApp } = await import("../server/app.js");
  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config, { ...overrides, telemetry });
  } catch (error) {
    await telemetry.shutdown();
    const listenError = error as NodeJS.ErrnoException & { address?: string; port?: number };
    if (listenError.syscall === "listen") {
      output.err(
        `verifyd: cannot listen on ${listenError.address ?? config.server.host}:${listenError.port ?? config.server.port}: ${listenError.code ?? listenError.message}`,
      );
      return 1;
    }
    throw error;
  }
  releaseStartupMemory();
  await stopSignal();
  const forced = () => process.exit(1);
  process.once("SIGTERM", forced);
  process.once("SIGINT", forced);
  await app.close();
  await telemetry.shutdown();
  return 0;
}

function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      resolve(signal);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
