/**
 * Throwaway certificates for the TLS suites, made with the machine's openssl
 * at test time (Node can make keys but not sign certificates): a CA, a server
 * certificate for 127.0.0.1 and localhost, a client certificate signed by the
 * CA, and one signed by a second CA the server does not trust. EC P-256 keys,
 * valid for a day, written to a temporary folder the caller removes.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate and its key: the paths (for a config file) and the PEM text (for clients). */
export interface Pair {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

export interface TestCertificates {
  dir: string;
  ca: Pair;
  server: Pair;
  /** Signed by `ca`. */
  client: Pair;
  /** Signed by a CA the server does not trust. */
  strangerClient: Pair;
  remove(): void;
}

export function createTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "verifyd-tls-"));
  const ca = selfSignedCa(dir, "ca", "verifyd test CA");
  const strangerCa = selfSignedCa(dir, "stranger-ca", "someone else's CA");
  const server = signed(dir, "server", ca, "127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth");
  const client = signed(dir, "client", ca, "verifyd test client", "extendedKeyUsage=clientAuth");
  const strangerClient = signed(dir, "stranger-client", strangerCa, "stranger", "extendedKeyUsage=clientAuth");
  return { dir, ca, server, client, strangerClient, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function newKey(dir: string, name: string): string {
  const keyPath = join(dir, `${name}.key`);
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyPath]);
  return keyPath;
}

function selfSignedCa(dir: string, name: string, commonName: string): Pair {
  const keyPath = newKey(dir, name);
  const certPath = join(dir, `${name}.crt`);
  openssl(["req", "-x509", "-new", "-key", keyPath, "-out", certPath, "-days", "1", "-subj", `/CN=${commonName}`]);
  return read(certPath, keyPath);
}

function signed(dir: string, name: string, issuer: Pair, commonName: string, extensions: string): Pair {
  const keyPath = newKey(dir, name);
  const csrPath = join(dir, `${name}.csr`);
  const extPath = join(dir, `${name}.ext`);
  const certPath = join(dir, `${name}.crt`);
  writeFileSync(extPath, `${extensions}\n`);
  openssl(["req", "-new", "-key", keyPath, "-out", csrPath, "-subj", `/CN=${commonName}`]);
  openssl([
    "x509",
    "-req",
    "-in",
    csrPath,
    "-CA",
    issuer.certPath,
    "-CAkey",
    issuer.keyPath,
    "-CAcreateserial",
    "-out",
    certPath,
    "-days",
    "1",
    "-extfile",
    extPath,
  ]);
  return read(certPath, keyPath);
}

function read(certPath: string, keyPath: string): Pair {
  return { certPath, keyPath, cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
}
