/** Messages for the operator: failures are announced at once (role=alert), progress politely (role=status). */
import type { ComponentChildren } from "preact";

export function ErrorNote(props: { children: ComponentChildren }) {
  return (
    <p class="note note-error" role="alert">
      <span aria-hidden="true">✕ </span>
      {props.children}
    </p>
  );
}

export function StatusNote(props: { children: ComponentChildren }) {
  return (
    <p class="note" role="status">
      {props.children}
    </p>
  );
}

/** A protobuf map of figures (sends, verified, conversion, ...) as a definition list. */
export function Figures(props: { figures: Record<string, string> }) {
  const entries = Object.entries(props.figures).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return <span>—</span>;
  return (
    <dl class="figures">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key.replace(/_/g, " ")}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
