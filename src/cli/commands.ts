import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config/load-config.js";
import type { Config } from "../config/schema.js";
import { type Output, processOutput } from "./output.js";
import { packageVersion } from "./version.js";

export const USAGE = `usage: verifyd <command> [options]

commands:
  serve [--config FILE] [--port N] [--host ADDRESS]
                        serve verifyd (the default command)
  check-config [FILE]   validate a configuration and print it as verifyd would run
                        with it: defaults filled in, \${NAME} references replaced,
                        secrets masked (without FILE: the embedded default)
  version               print verifyd's version

options:
  -c, --config FILE     YAML configuration (default: the embedded demo configuration)
  -p, --port N          overrides server.port (0 picks a free port)
      --host ADDRESS    overrides server.host: 0.0.0.0 for every IPv4 interface (a container), :: for every interface
  -h, --help            this text

SIGTERM or SIGINT drains (in-flight calls finish, Watch streams end with UNAVAILABLE) and exits; a second one exits at once.`;

/** Exit codes: 0 done, 1 a configuration that does not validate (check-config) or a failure, 2 a usage or configuration error at start-up. */
export async function runCli(argv: readonly string[], output: Output = processOutput): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    output.err(`verifyd: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    output.out(USAGE);
    return 0;
  }
  const [command = "serve", ...rest] = positionals;
  switch (command) {
    case "version":
      output.out(`verifyd ${packageVersion()} (Node.js ${process.version}, ${process.platform}-${process.arch})`);
      return 0;
    case "check-config":
      return checkConfig(rest[0] ?? values.config, rest.length > 1 ? rest.slice(1) : [], output);
    case "serve": {
      if (rest.length > 0) return usageError(`unexpected argument "${rest[0]}"`, output);
      const overrides = listenOverrides(values);
      if (typeof overrides === "string") return usageError(overrides, output);
      const config = readConfig(values.config, output);
      if (!config) return 2;
      const { serve } = await import("./serve.js");
      return serve(config, overrides, output);
    }
    default:
      return usageError(`unknown command "${command}"`, output);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      port: { type: "string", short: "p" },
      host: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function usageError(message: string, output: Output): number {
  output.err(`verifyd: ${message}\n\n${USAGE}`);
  return 2;
}

function listenOverrides(values: { port?: string; host?: string }): { port?: number; host?: string } | string {
  const overrides: { port?: number; host?: string } = {};
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (values.port.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65535) return `--port must be a port number, got "${values.port}"`;
    overrides.port = port;
  }
  if (values.host !== undefined) {
    if (values.host.trim() === "") return "--host must name an address, such as 127.0.0.1 or 0.0.0.0";
    overrides.host = values.host.trim();
  }
  return overrides;
}

/** The configuration, or undefined once the reason is written (it names the file and the key). */
function readConfig(path: string | undefined, output: Output): Config | undefined {
  try {
    return loadConfig(path);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    output.err(`verifyd: ${error.message}`);
    return undefined;
  }
}

async function checkConfig(path: string | undefined, extra: readonly string[], output: Output): Promise<number> {
  if (extra.length > 0) return usageError(`check-config takes one file, got also "${extra[0]}"`, output);
  const config = readConfig(path, output);
  if (!config) return 1;
  const { printConfig } = await import("../config/print-config.js");
  output.out(`# ${path ?? "the embedded default configuration"}: valid. As verifyd runs with it (secrets masked):`);
  output.out(printConfig(config).trimEnd());
  return 0;
}
