/** The admin token form: all the console shows until verifyd accepts a token. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorNote } from "../components/notice.js";

export function TokenView(props: { refused?: string; onToken: (token: string) => void }) {
  const [token, setToken] = useState("");
  // The form is the whole page: start typing in it.
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  return (
    <main id="main" class="token-view">
      <p class="brand">verifyd console</p>
      <h1>Admin token</h1>
      <p>
        This verifyd asks for its admin token (<code>admin.token</code>) on the admin API. Enter it to open the console; it is kept in this browser tab only, until
        the tab is closed.
      </p>
      {props.refused && <ErrorNote>{`verifyd refused the token: ${props.refused}`}</ErrorNote>}
      <form
        class="token-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) props.onToken(token.trim());
        }}
      >
        <label>
          Admin token
          <input ref={input} name="admin-token" type="password" autocomplete="off" required value={token} onInput={(event) => setToken(event.currentTarget.value)} />
        </label>
        <button type="submit">Open the console</button>
      </form>
    </main>
  );
}
