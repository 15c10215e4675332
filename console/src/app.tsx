/** The console's frame: the access check, the navigation, and the view the hash names. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { type Access, AuthLost } from "./access.js";
import { admin, adminToken, describeFailure, isAuthError } from "./api.js";
import { ErrorNote, StatusNote } from "./components/notice.js";
import { hrefOf, type Route, useHashRoute } from "./hash-route.js";
import { BlocksView } from "./views/blocks-view.js";
import { ProvidersView } from "./views/providers-view.js";
import { RouteView } from "./views/route-view.js";
import { TokenView } from "./views/token-view.js";
import { VerificationView } from "./views/verification-view.js";
import { VerificationsView } from "./views/verifications-view.js";

const NAVIGATION: { route: Route; label: string }[] = [
  { route: { view: "providers" }, label: "Providers" },
  { route: { view: "route" }, label: "Route explainer" },
  { route: { view: "verifications" }, label: "Verifications" },
  { route: { view: "blocks" }, label: "Blocks" },
];

export function App() {
  const [access, setAccess] = useState<Access>({ state: "checking" });
  const check = useCallback(async () => {
    setAccess({ state: "checking" });
    try {
      await admin.listProviders({});
      setAccess({ state: "open" });
    } catch (error) {
      if (!isAuthError(error)) return setAccess({ state: "unreachable", message: describeFailure(error) });
      // A token kept from before that no longer works is forgotten, and the form says why.
      const stored = adminToken.read();
      adminToken.clear();
      setAccess({ state: "token", refused: stored ? describeFailure(error) : undefined });
    }
  }, []);
  useEffect(() => void check(), [check]);
  const lost = useCallback((error: unknown) => {
    adminToken.clear();
    setAccess({ state: "token", refused: describeFailure(error) });
  }, []);

  switch (access.state) {
    case "checking":
      return <StatusNote>Connecting to verifyd…</StatusNote>;
    case "unreachable":
      return (
        <main id="main">
          <h1>verifyd console</h1>
          <ErrorNote>{`verifyd did not answer: ${access.message}`}</ErrorNote>
          <button type="button" onClick={() => void check()}>
            Try again
          </button>
        </main>
      );
    case "token":
      return (
        <TokenView
          refused={access.refused}
          onToken={(token) => {
            adminToken.save(token);
            void check();
          }}
        />
      );
    case "open":
      return (
        <AuthLost.Provider value={lost}>
          <Console />
        </AuthLost.Provider>
      );
  }
}

function Console() {
  const route = useHashRoute();
  const current = route.view === "verification" ? "verifications" : route.view;
  // After a link is followed, focus goes to the new view, so keyboard and screen-reader users start there.
  const main = useRef<HTMLElement>(null);
  const shown = useRef<string | undefined>(undefined);
  const href = hrefOf(route);
  useEffect(() => {
    if (shown.current !== undefined && shown.current !== href) main.current?.focus();
    shown.current = href;
  }, [href]);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to the view
      </a>
      <header class="top">
        <p class="brand">verifyd console</p>
        <nav aria-label="Views">
          <ul>
            {NAVIGATION.map((item) => (
              <li key={item.label}>
                <a href={hrefOf(item.route)} aria-current={item.route.view === current ? "page" : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        <View route={route} />
      </main>
    </>
  );
}

function View(props: { route: Route }) {
  const { route } = props;
  switch (route.view) {
    case "providers":
      return <ProvidersView />;
    case "route":
      return <RouteView />;
    case "verifications":
      return <VerificationsView />;
    case "verification":
      return <VerificationView key={route.id} id={route.id} />;
    case "blocks":
      return <BlocksView />;
    case "unknown":
      return (
        <>
          <h1>Not a view</h1>
          <p>
            Nothing is at <code>{route.hash}</code>. <a href="#/providers">Go to the providers</a>.
          </p>
        </>
      );
  }
}
