/**
 * Client addresses for the per-IP limits: parsed, put in one canonical form,
 * and turned into the key a budget is kept under. Without this every spelling
 * of an address ("2001:DB8::1", "2001:db8:0:0:0:0:0:1", "::ffff:192.0.2.1", a
 * zone id "%anything") was a budget of its own, and an IPv6 host, which owns a
 * whole /64, had 2^64 of them.
 */
import ipaddr from "ipaddr.js";
import { VerifyError } from "../verification/errors.js";

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

/** One client address in canonical text: dotted decimal, or RFC 5952 (lower case, zeros compressed). */
export interface ClientAddress {
  readonly kind: "ipv4" | "ipv6";
  readonly text: string;
}

/** A range of addresses, e.g. `server.trusted_proxies` entries: `10.0.0.0/8`, `2001:db8::/32`. */
export interface Cidr {
  readonly kind: "ipv4" | "ipv6";
  /** The network address, canonical, host bits cleared. */
  readonly network: string;
  readonly prefixLength: number;
}

/** Where the per-request address may come from; the API layer fills it in. */
export interface ClientIpSources {
  /** The request's `client_ip` field ("" counts as absent). */
  given?: string | undefined;
  /** The socket's remote address (Node's `socket.remoteAddress`, possibly "::ffff:10.0.0.1"). */
  peer?: string | undefined;
  /** The `X-Forwarded-For` header, duplicates joined with ", ". */
  forwardedFor?: string | undefined;
  trustedProxies: readonly Cidr[];
  /** `rate_limits.require_client_ip`: only `client_ip` or a trusted proxy's header may name the client. */
  requireClientIp: boolean;
  /** Sends (Start, Resend) must name a client under `requireClientIp`; a Check without one has no per-IP limit. */
  purpose: "send" | "check";
}

// Longest address text: 45 characters ("ffff:…:255.255.255.255"). More is not an address.
const MAX_ADDRESS_LENGTH = 64;

/**
 * Parses a `client_ip` as a caller sent it. IPv4 must be four decimal parts
 * (no "010.0.0.1", "127.1" or "0x7f.0.0.1", which lenient parsers read as
 * other addresses); zone ids are refused; an IPv4-mapped IPv6 address is
 * the IPv4 address.
 *
 * @example parseClientIp("2001:DB8:0:0::1") // { kind: "ipv6", text: "2001:db8::1" }
 * @example parseClientIp("::ffff:192.0.2.1") // { kind: "ipv4", text: "192.0.2.1" }
 */
export function parseClientIp(text: string, field = "client_ip"): ClientAddress {
  const shown = text.slice(0, MAX_ADDRESS_LENGTH);
  const zone = text.indexOf("%");
  if (zone !== -1 && parseIp(text.slice(0, zone))) {
    throw VerifyError.invalidArgument(`${field} "${shown}" carries a zone id; send the address without "${text.slice(zone, zone + 20)}"`);
  }
  const ip = parseIp(text);
  if (!ip) throw VerifyError.invalidArgument(`${field} "${shown}" is not an IPv4 or IPv6 address`);
  return toClientAddress(ip);
}

/**
 * The key a per-IP budget is kept under: one per IPv4 address, one per IPv6
 * prefix of `ipv6PrefixLength` bits (a /64 is what one subscriber is usually given).
 *
 * @example limitKey(parseClientIp("2001:db8::1"), 64) // "v6:2001:db8::/64"
 */
export function limitKey(address: ClientAddress, ipv6PrefixLength: number): string {
  if (address.kind === "ipv4") return `v4:${address.text}`;
  return `v6:${networkOf(ipaddr.IPv6.parse(address.text), ipv6PrefixLength).toString()}/${ipv6PrefixLength}`;
}

/**
 * Parses one `trusted_proxies` entry: a CIDR, or a bare address meaning that
 * one host. Undefined when it is neither (the config schema says why).
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const bits = ip.kind() === "ipv4" ? 32 : 128;
  const lengthText = slash === -1 ? String(bits) : text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText) || Number(lengthText) > bits) return undefined;
  let prefixLength = Number(lengthText);
  let network: Ip = ip;
  // "::ffff:10.0.0.0/104" is 10.0.0.0/8, the form peers are compared in.
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress() && prefixLength >= 96) {
    network = ip.toIPv4Address();
    prefixLength -= 96;
  }
  return { kind: network.kind(), network: networkOf(network, prefixLength).toString(), prefixLength };
}

/** Whether `address` lies in one of `ranges`. */
export function isInRanges(address: ClientAddress, ranges: readonly Cidr[]): boolean {
  const ip = ipaddr.parse(address.text);
  return ranges.some((range) => range.kind === address.kind && ip.match(ipaddr.parse(range.network), range.prefixLength));
}

/**
 * The client a request counts against, or undefined when nothing names one
 * (then no per-IP limit applies). In order: the `client_ip` field; when the
 * peer is a trusted proxy, the right-most `X-Forwarded-For` entry that is not
 * itself a trusted proxy (entries further left were written by whoever the
 * proxies were talking to, so they can be forged); otherwise the peer itself,
 * unless `requireClientIp` is set: then a send that names no client is
 * refused, for sidecars whose only peer is the application.
 */
export function resolveClientIp(sources: ClientIpSources): ClientAddress | undefined {
  if (sources.given) return parseClientIp(sources.given);
  const peer = sources.peer === undefined ? undefined : parsePeer(sources.peer);
  if (peer && isInRanges(peer, sources.trustedProxies)) {
    const forwarded = clientFromForwardedFor(sources.forwardedFor ?? "", sources.trustedProxies);
    if (forwarded) return forwarded;
  }
  if (!sources.requireClientIp) return peer;
  if (sources.purpose === "send") throw VerifyError.invalidArgument("client_ip is required: rate_limits.require_client_ip is set");
  return undefined;
}

/** Walks the header from the right, past trusted proxies; the left-most entry when all of them are. */
function clientFromForwardedFor(header: string, trustedProxies: readonly Cidr[]): ClientAddress | undefined {
  const entries = header
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  let client: ClientAddress | undefined;
  for (let index = entries.length - 1; index >= 0; index--) {
    client = parseClientIp(withoutPort(entries[index]!), "x-forwarded-for entry");
    if (!isInRanges(client, trustedProxies)) return client;
  }
  return client;
}

/** Some proxies write "192.0.2.1:5678" or "[2001:db8::1]:443"; the port is not part of the client. */
function withoutPort(entry: string): string {
  const bracketed = /^\[([^\]]*)\](?::[0-9]{1,5})?$/.exec(entry);
  if (bracketed) return bracketed[1]!;
  const v4WithPort = /^([0-9.]+):[0-9]{1,5}$/.exec(entry);
  return v4WithPort ? v4WithPort[1]! : entry;
}

/** The socket's own address: Node may report a zone id for a link-local peer; it is dropped, not refused. */
function parsePeer(text: string): ClientAddress | undefined {
  const zone = text.indexOf("%");
  const ip = parseIp(zone === -1 ? text : text.slice(0, zone));
  return ip ? toClientAddress(ip) : undefined;
}

/** Strict syntax only: four-part decimal IPv4, or IPv6 (its embedded IPv4 tail strict too), no zone id. */
function parseIp(text: string): Ip | undefined {
  if (text.length > MAX_ADDRESS_LENGTH || text.includes("%")) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const tail = text.slice(text.lastIndexOf(":") + 1);
  if (tail.includes(".") && !ipaddr.IPv4.isValidFourPartDecimal(tail)) return undefined;
  return ipaddr.IPv6.parse(text);
}

function toClientAddress(ip: Ip): ClientAddress {
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress()) return { kind: "ipv4", text: ip.toIPv4Address().toString() };
  return { kind: ip.kind(), text: ip.toString() };
}

/** `ip` with every bit past `prefixLength` cleared. */
function networkOf(ip: Ip, prefixLength: number): Ip {
  const bytes = ip.toByteArray().map((byte, index) => {
    const kept = Math.min(8, Math.max(0, prefixLength - index * 8));
    return byte & (0xff << (8 - kept)) & 0xff;
  });
  return ipaddr.fromByteArray(bytes);
}
