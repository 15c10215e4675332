/**
 * Hash routing: the server serves one page at /console/, and the part after
 * "#" says which view it shows, so links and the Back button work with no
 * route on the server.
 */
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { view: "providers" }
  | { view: "route" }
  | { view: "verifications" }
  | { view: "verification"; id: string }
  | { view: "blocks" }
  | { view: "unknown"; hash: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  if (path === "" || path === "providers") return { view: "providers" };
  if (path === "route") return { view: "route" };
  if (path === "verifications") return { view: "verifications" };
  if (path === "blocks") return { view: "blocks" };
  const verification = /^verifications\/([^/]+)$/.exec(path);
  if (verification) return { view: "verification", id: decodeURIComponent(verification[1]!) };
  return { view: "unknown", hash };
}

export function hrefOf(route: Route): string {
  return route.view === "verification" ? `#/verifications/${encodeURIComponent(route.id)}` : route.view === "unknown" ? route.hash : `#/${route.view}`;
}

export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}
