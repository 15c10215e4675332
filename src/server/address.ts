import { isIP } from "node:net";

/** A bound address as one would type it: `127.0.0.1:8080`, `[::1]:8080`. */
export function hostPort(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/**
 * The URL verifyd reaches itself at (and tells providers to, without
 * `server.public_url`): an unspecified address (every interface) is reached
 * through the IPv4 loopback.
 */
export function selfUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${hostPort(host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host, port)}`;
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped form: only this machine can connect. */
export function isLoopback(host: string): boolean {
  return host === "::1" || /^(::ffff:)?127\./i.test(host);
}
