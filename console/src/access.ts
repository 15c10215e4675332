/**
 * Who may see the console. Before anything admin-only is drawn, the app asks
 * verifyd (ListProviders); UNAUTHENTICATED or PERMISSION_DENIED then, or from
 * any later call, puts the token form up instead of every view.
 */
import { createContext } from "preact";
import { useCallback, useContext } from "preact/hooks";
import { describeFailure, isAbort, isAuthError } from "./api.js";

export type Access = { state: "checking" } | { state: "token"; refused?: string } | { state: "open" } | { state: "unreachable"; message: string };

/** Called by a view whose call verifyd refused for want of the right token. */
export const AuthLost = createContext<(error: unknown) => void>(() => {});

/**
 * What a view shows for a failed call: undefined when there is nothing to say
 * (the view was left, or the token form takes over), else the failure.
 */
export function useFailure(): (error: unknown) => string | undefined {
  const lost = useContext(AuthLost);
  return useCallback(
    (error: unknown) => {
      if (isAbort(error)) return undefined;
      if (isAuthError(error)) {
        lost(error);
        return undefined;
      }
      return describeFailure(error);
    },
    [lost],
  );
}
