import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config/load-config.js";
import { startTelemetry } from "./telemetry/telemetry.js";

const USAGE = `usage: verifyd serve [--config FILE] [--port N]

  --config FILE   YAML configuration (default: the embedded demo configuration)
  --port N        overrides server.port`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: "string", short: "c" }, port: { type: "string", short: "p" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command = "serve"] = parsed.positionals;
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (command !== "serve") {
    console.error(`unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  let port: number | undefined;
  if (parsed.values.port !== undefined) {
    port = Number(parsed.values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`--port must be a port number, got "${parsed.values.port}"`);
      return 2;
    }
  }
  let config;
  try {
    config = loadConfig(parsed.values.config);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`verifyd: ${error.message}`);
      return 2;
    }
    throw error;
  }
  // Registered for the whole process (Node SDK), so library instrumentation reports into verifyd's traces;
  // the app is loaded only then, so the MongoDB driver's instrumentation can hook it as it loads.
  const telemetry = startTelemetry({ global: true });
  const { startApp } = await import("./server/app.js");
  const app = await startApp(config, { port, telemetry });
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  await app.close();
  await telemetry.shutdown();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error("verifyd: fatal:", error);
    process.exit(1);
  },
);
