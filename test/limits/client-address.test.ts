import { describe, expect, test } from "vitest";
import { type Cidr, type ClientIpSources, isInRanges, limitKey, parseCidr, parseClientIp, resolveClientIp } from "../../src/limits/client-address.js";
import { VerifyError } from "../../src/verification/errors.js";

function refusal(run: () => unknown): VerifyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(VerifyError);
    return error as VerifyError;
  }
  throw new Error("expected a refusal");
}

function cidrs(...texts: string[]): Cidr[] {
  return texts.map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new Error(`test CIDR ${text} does not parse`);
    return cidr;
  });
}

const key = (text: string, prefix = 64) => limitKey(parseClientIp(text), prefix);

describe("parseClientIp", () => {
  // Issue 10, item 5: each of these spellings used to get a budget of its own.
  test("every spelling of one IPv6 address collapses to one canonical form", () => {
    for (const spelling of ["2001:db8::1", "2001:DB8::1", "2001:db8:0:0:0:0:0:1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::0:1"]) {
      expect(parseClientIp(spelling)).toEqual({ kind: "ipv6", text: "2001:db8::1" });
    }
  });

  test("an IPv4-mapped IPv6 address is the IPv4 address, in any spelling", () => {
    for (const spelling of ["::ffff:192.0.2.1", "::FFFF:192.0.2.1", "::ffff:c000:201", "0:0:0:0:0:ffff:c000:0201"]) {
      expect(parseClientIp(spelling)).toEqual({ kind: "ipv4", text: "192.0.2.1" });
    }
    expect(key("::ffff:192.0.2.1")).toBe(key("192.0.2.1"));
  });

  test("refuses a zone id as invalid_argument naming client_ip, whatever the zone", () => {
    for (const zoned of ["2001:db8::1%a", "2001:db8::1%b", "fe80::1%eth0", "fe80::1%25"]) {
      const error = refusal(() => parseClientIp(zoned));
      expect(error.kind).toBe("invalid_argument");
      expect(error.message).toMatch(/^client_ip ".*" carries a zone id; send the address without "%/);
    }
  });

  test.each([
    ["10.0.0.300"],
    ["localhost"],
    [""],
    ["2001:db8::1/64"],
    ["1::2::3"],
    ["[2001:db8::1]"],
    [" 192.0.2.1"],
    ["192.0.2.1:443"],
    ["%eth0"],
    ["garbage%eth0"],
  ])("refuses %j as not an address", (text) => {
    expect(refusal(() => parseClientIp(text))).toMatchObject({ kind: "invalid_argument", message: `client_ip "${text}" is not an IPv4 or IPv6 address` });
  });

  // Lenient parsers (ipaddr.parse, inet_aton) read these as other addresses: "010.0.0.1" as 8.0.0.1.
  test.each([["010.0.0.1"], ["127.1"], ["0x7f.0.0.1"], ["2130706433"], ["::ffff:010.0.0.1"]])("refuses the non-decimal IPv4 form %j", (text) => {
    expect(refusal(() => parseClientIp(text)).kind).toBe("invalid_argument");
  });

  test("quotes at most 64 characters of what it refuses", () => {
    expect(refusal(() => parseClientIp("x".repeat(100))).message).toBe(`client_ip "${"x".repeat(64)}" is not an IPv4 or IPv6 address`);
  });
});

describe("limitKey", () => {
  test("keys IPv4 per address", () => {
    expect(key("192.0.2.1")).toBe("v4:192.0.2.1");
    expect(key("192.0.2.2")).not.toBe(key("192.0.2.1"));
  });

  test("keys IPv6 per prefix: two addresses in one /64 share a key, in different /64s they do not", () => {
    expect(key("2001:db8::1")).toBe("v6:2001:db8::/64");
    expect(key("2001:db8:0:0:ffff:ffff:ffff:ffff")).toBe("v6:2001:db8::/64");
    expect(key("2001:db8:0:1::1")).toBe("v6:2001:db8:0:1::/64");
  });

  test("honours other prefix lengths, including ones that split a group", () => {
    expect(key("2001:db8:abcd:12ff::1", 56)).toBe("v6:2001:db8:abcd:1200::/56");
    expect(key("2001:db8::1", 128)).toBe("v6:2001:db8::1/128");
    expect(key("2001:db8::1", 1)).toBe("v6:::/1");
    expect(key("ffff::1", 1)).toBe("v6:8000::/1");
  });
});

describe("parseCidr", () => {
  test("reads CIDRs and single addresses, clearing host bits", () => {
    expect(parseCidr("10.0.0.0/8")).toEqual({ kind: "ipv4", network: "10.0.0.0", prefixLength: 8 });
    expect(parseCidr("10.1.2.3/8")).toEqual({ kind: "ipv4", network: "10.0.0.0", prefixLength: 8 });
    expect(parseCidr("2001:DB8::/32")).toEqual({ kind: "ipv6", network: "2001:db8::", prefixLength: 32 });
    expect(parseCidr("10.0.0.5")).toEqual({ kind: "ipv4", network: "10.0.0.5", prefixLength: 32 });
    expect(parseCidr("::1")).toEqual({ kind: "ipv6", network: "::1", prefixLength: 128 });
    expect(parseCidr("0.0.0.0/0")).toEqual({ kind: "ipv4", network: "0.0.0.0", prefixLength: 0 });
  });

  test("reads an IPv4-mapped range as the IPv4 range peers are compared in", () => {
    expect(parseCidr("::ffff:10.0.0.0/104")).toEqual({ kind: "ipv4", network: "10.0.0.0", prefixLength: 8 });
  });

  test.each([["10.0.0.0/33"], ["2001:db8::/129"], ["10.0.0.0/"], ["10.0.0.0/08"], ["10.0.0.0/-1"], ["10.0.0/8"], ["fe80::%eth0/64"], ["proxy.internal"], [""]])(
    "refuses %j",
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );

  test("isInRanges matches by prefix and never across families", () => {
    const ranges = cidrs("10.0.0.0/8", "2001:db8::/32");
    expect(isInRanges(parseClientIp("10.200.0.1"), ranges)).toBe(true);
    expect(isInRanges(parseClientIp("::ffff:10.0.0.1"), ranges)).toBe(true);
    expect(isInRanges(parseClientIp("11.0.0.1"), ranges)).toBe(false);
    expect(isInRanges(parseClientIp("2001:db8:ffff::1"), ranges)).toBe(true);
    expect(isInRanges(parseClientIp("2001:db9::1"), ranges)).toBe(false);
    expect(isInRanges(parseClientIp("::a00:1"), cidrs("10.0.0.0/8"))).toBe(false);
  });
});

describe("resolveClientIp", () => {
  const PROXIES = cidrs("10.0.0.0/8", "fd00::/8");
  const base: ClientIpSources = { trustedProxies: PROXIES, requireClientIp: false, purpose: "send" };
  const resolve = (sources: Partial<ClientIpSources>) => resolveClientIp({ ...base, ...sources })?.text;

  test("the client_ip field wins over the peer and the header, normalised", () => {
    expect(resolve({ given: "2001:DB8::1", peer: "10.0.0.1", forwardedFor: "198.51.100.1" })).toBe("2001:db8::1");
  });

  test("a bad client_ip is refused, not replaced by the peer", () => {
    expect(refusal(() => resolve({ given: "2001:db8::1%a", peer: "192.0.2.9" })).kind).toBe("invalid_argument");
  });

  test("an empty client_ip (proto3's unset) counts as absent", () => {
    expect(resolve({ given: "", peer: "192.0.2.9" })).toBe("192.0.2.9");
  });

  test("without client_ip an untrusted peer is the client, and its X-Forwarded-For is ignored", () => {
    expect(resolve({ peer: "192.0.2.9", forwardedFor: "198.51.100.1" })).toBe("192.0.2.9");
    expect(resolve({ peer: "192.0.2.9", forwardedFor: "not an address" })).toBe("192.0.2.9");
  });

  test("Node's IPv4-mapped peer address counts as IPv4, for trust and as the client", () => {
    expect(resolve({ peer: "::ffff:192.0.2.9" })).toBe("192.0.2.9");
    expect(resolve({ peer: "::ffff:10.0.0.1", forwardedFor: "198.51.100.1" })).toBe("198.51.100.1");
  });

  test("a trusted peer's X-Forwarded-For names the client: the right-most entry that is not a proxy", () => {
    expect(resolve({ peer: "10.0.0.1", forwardedFor: "198.51.100.1" })).toBe("198.51.100.1");
    expect(resolve({ peer: "10.0.0.1", forwardedFor: "198.51.100.1, 10.0.0.2, fd00::7" })).toBe("198.51.100.1");
    expect(resolve({ peer: "fd00::1", forwardedFor: "2001:DB8::1" })).toBe("2001:db8::1");
  });

  test("a spoofed chain cannot pick the client: entries left of the first untrusted one are ignored", () => {
    // The client sent "X-Forwarded-For: 203.0.113.66, 10.9.9.9" itself; the proxy appended the address it saw.
    expect(resolve({ peer: "10.0.0.1", forwardedFor: "203.0.113.66, 10.9.9.9, 198.51.100.1" })).toBe("198.51.100.1");
    // Garbage or zone ids to the left of the real client are never read.
    expect(resolve({ peer: "10.0.0.1", forwardedFor: "2001:db8::1%a, junk, 198.51.100.1" })).toBe("198.51.100.1");
  });

  test("when every entry is a trusted proxy, the left-most one is the client", () => {
    expect(resolve({ peer: "10.0.0.1", forwardedFor: "10.0.0.3, 10.0.0.2" })).toBe("10.0.0.3");
  });

  test("a trusted peer without the header is the client itself", () => {
    expect(resolve({ peer: "10.0.0.1" })).toBe("10.0.0.1");
    expect(resolve({ peer: "10.0.0.1", forwardedFor: " , " })).toBe("10.0.0.1");
  });

  test("reads ports and brackets some proxies write, and refuses a bad entry it has to read", () => {
    expect(resolve({ peer: "10.0.0.1", forwardedFor: "198.51.100.1:5678" })).toBe("198.51.100.1");
    expect(resolve({ peer: "10.0.0.1", forwardedFor: "[2001:db8::1]:443" })).toBe("2001:db8::1");
    expect(refusal(() => resolve({ peer: "10.0.0.1", forwardedFor: "unknown" }))).toMatchObject({
      kind: "invalid_argument",
      message: 'x-forwarded-for entry "unknown" is not an IPv4 or IPv6 address',
    });
    expect(refusal(() => resolve({ peer: "10.0.0.1", forwardedFor: "fe80::1%eth0" })).message).toMatch(/^x-forwarded-for entry .* zone id/);
  });

  test("a peer's zone id is dropped, and no peer at all names no client", () => {
    expect(resolve({ peer: "fe80::1%eth0" })).toBe("fe80::1");
    expect(resolve({})).toBeUndefined();
  });

  describe("with require_client_ip", () => {
    const required = (sources: Partial<ClientIpSources>) => resolve({ requireClientIp: true, ...sources });

    test("a send without client_ip or a trusted proxy's header is refused, even with a peer", () => {
      const error = refusal(() => required({ peer: "192.0.2.9", forwardedFor: "198.51.100.1" }));
      expect(error).toMatchObject({ kind: "invalid_argument", message: "client_ip is required: rate_limits.require_client_ip is set" });
      expect(refusal(() => required({ peer: "10.0.0.1" })).kind).toBe("invalid_argument");
      expect(refusal(() => required({})).kind).toBe("invalid_argument");
    });

    test("client_ip or a trusted proxy's header still name the client", () => {
      expect(required({ given: "192.0.2.1", peer: "127.0.0.1" })).toBe("192.0.2.1");
      expect(required({ peer: "10.0.0.1", forwardedFor: "198.51.100.1" })).toBe("198.51.100.1");
    });

    test("a Check without one has no per-IP limit instead of the application's budget", () => {
      expect(required({ purpose: "check", peer: "127.0.0.1" })).toBeUndefined();
      expect(required({ purpose: "check", given: "192.0.2.1" })).toBe("192.0.2.1");
    });
  });
});
