/**
 * The console's one way to verifyd: Connect over fetch to the page's own
 * origin (the Content-Security-Policy allows nothing else), with the admin
 * token, once given, as a Bearer header on every call.
 */
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AdminService } from "../../gen/verify/admin/v1/admin_pb.js";
import { VerificationService } from "../../gen/verify/v1/verify_pb.js";

const TOKEN_KEY = "verifyd.console.adminToken";

/**
 * The token lives in sessionStorage: it survives a reload of the tab but not
 * the tab, and no other tab or site reads it. Storage can be refused (a
 * privacy mode); the console then asks again on every load.
 */
export const adminToken = {
  read(): string | undefined {
    try {
      return sessionStorage.getItem(TOKEN_KEY) ?? memoryToken;
    } catch {
      return memoryToken;
    }
  },
  save(token: string): void {
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      memoryToken = token;
    }
  },
  clear(): void {
    memoryToken = undefined;
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // Nothing stored.
    }
  },
};
let memoryToken: string | undefined;

const bearer: Interceptor = (next) => (request) => {
  const token = adminToken.read();
  if (token) request.header.set("Authorization", `Bearer ${token}`);
  return next(request);
};

// Binary protobuf: smaller than JSON, and the generated code already knows every message.
const transport = createConnectTransport({ baseUrl: location.origin, useBinaryFormat: true, interceptors: [bearer] });

export const admin = createClient(AdminService, transport);
export const verifications = createClient(VerificationService, transport);

/** verifyd refused the admin token: none given (UNAUTHENTICATED), or a wrong one (PERMISSION_DENIED). */
export function isAuthError(error: unknown): boolean {
  const code = ConnectError.from(error).code;
  return code === Code.Unauthenticated || code === Code.PermissionDenied;
}

export function isAbort(error: unknown): boolean {
  return ConnectError.from(error).code === Code.Canceled;
}

/** What to tell the operator about a failed call: the server's message, with its code. */
export function describeFailure(error: unknown): string {
  const failure = ConnectError.from(error);
  if (failure.code === Code.Unimplemented) return "this verifyd does not offer that call yet (UNIMPLEMENTED)";
  return `${failure.rawMessage || "the call failed"} (${Code[failure.code]})`;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
