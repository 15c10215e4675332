/**
 * Blocks: the conversion guard's blocks in force (ListBlocks) with the figures
 * that caused them, and Unblock, asked for twice (the button, then a
 * confirmation naming the scope) because lifting a block lets traffic through.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Block } from "../../../gen/verify/admin/v1/admin_pb.js";
import { useFailure } from "../access.js";
import { admin } from "../api.js";
import { ErrorNote, Figures, StatusNote } from "../components/notice.js";
import { isoOf, scopeName, timeText } from "../format.js";

const keyOf = (block: Block) => `${block.scope}:${block.key}`;

export function BlocksView() {
  const failure = useFailure();
  const [blocks, setBlocks] = useState<Block[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  const load = useCallback(async () => {
    try {
      setBlocks((await admin.listBlocks({})).blocks);
      setError(undefined);
    } catch (reason) {
      const message = failure(reason);
      if (message) setError(`The blocks could not be listed: ${message}`);
    }
  }, [failure]);
  useEffect(() => void load(), [load]);

  async function unblock(block: Block) {
    setDone(undefined);
    try {
      await admin.unblock({ scope: block.scope, key: block.key });
      setDone(`Lifted the ${scopeName(block.scope)} block on ${block.key}.`);
    } catch (reason) {
      const message = failure(reason);
      if (message) setError(`${block.key} could not be unblocked: ${message}`);
    }
    await load();
  }

  return (
    <>
      <h1>Blocks</h1>
      <p>
        Scopes the fraud guard's conversion guard refuses until the time shown.{" "}
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </p>
      {done && <StatusNote>{done}</StatusNote>}
      {error && <ErrorNote>{error}</ErrorNote>}
      {blocks === undefined ? (
        !error && <p>Loading the blocks…</p>
      ) : blocks.length === 0 ? (
        <p class="empty">No block is in force.</p>
      ) : (
        <BlockTable blocks={blocks} onUnblock={unblock} />
      )}
    </>
  );
}

function BlockTable(props: { blocks: Block[]; onUnblock: (block: Block) => Promise<void> }) {
  return (
    <div class="table-scroll">
      <table class="blocks">
        <caption>Blocks in force</caption>
        <thead>
          <tr>
            <th scope="col">Scope</th>
            <th scope="col">Key</th>
            <th scope="col">Country</th>
            <th scope="col">Reason</th>
            <th scope="col">Figures when blocked</th>
            <th scope="col">Since</th>
            <th scope="col">Until</th>
            <th scope="col">Level</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {props.blocks.map((block) => (
            <BlockRow key={keyOf(block)} block={block} onUnblock={props.onUnblock} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function BlockRow(props: { block: Block; onUnblock: (block: Block) => Promise<void> }) {
  const { block } = props;
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirm.current?.focus();
  }, [confirming]);
  return (
    <tr data-block={block.key}>
      <td>{scopeName(block.scope)}</td>
      <th scope="row">{block.key}</th>
      <td>{block.country}</td>
      <td>{block.reason.replace(/_/g, " ")}</td>
      <td>
        <Figures figures={block.figures} />
      </td>
      <td>
        <time dateTime={isoOf(block.since)}>{timeText(block.since)}</time>
      </td>
      <td>
        <time dateTime={isoOf(block.until)}>{timeText(block.until)}</time>
      </td>
      <td>{block.level}</td>
      <td>
        {!confirming ? (
          <button type="button" onClick={() => setConfirming(true)}>
            Unblock…
          </button>
        ) : (
          <fieldset class="confirm">
            <legend>
              Lift the {scopeName(block.scope)} block on {block.key}?
            </legend>
            <button
              type="button"
              class="danger"
              ref={confirm}
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                await props.onUnblock(block);
                setBusy(false);
                setConfirming(false);
              }}
            >
              Yes, unblock {block.key}
            </button>{" "}
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </fieldset>
        )}
      </td>
    </tr>
  );
}
