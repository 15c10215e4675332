/**
 * Verifications: ListVerifications newest first, filtered by status, country,
 * provider and creation time, a page at a time; each links to its timeline.
 * Numbers come masked from the server.
 */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { type Verification, VerificationStatus } from "../../../gen/verify/v1/verify_pb.js";
import { useFailure } from "../access.js";
import { admin } from "../api.js";
import { StatusBadge } from "../components/badge.js";
import { ErrorNote } from "../components/notice.js";
import { channelName, isoOf, statusName, timeText } from "../format.js";
import { hrefOf } from "../hash-route.js";

const STATUSES = [
  VerificationStatus.PENDING,
  VerificationStatus.SUBMITTED,
  VerificationStatus.DELIVERED,
  VerificationStatus.VERIFIED,
  VerificationStatus.FAILED,
  VerificationStatus.EXPIRED,
  VerificationStatus.LOCKED,
  VerificationStatus.CANCELED,
];
const PAGE_SIZES = [10, 25, 50, 100];

export interface Filters {
  statuses: VerificationStatus[];
  country: string;
  provider: string;
  /** datetime-local values (the browser's time zone); empty when unset. */
  createdAfter: string;
  createdBefore: string;
  pageSize: number;
}

const NO_FILTERS: Filters = { statuses: [], country: "", provider: "", createdAfter: "", createdBefore: "", pageSize: 25 };

/** The filters survive a visit to a timeline and the way back (the view is remounted). */
let remembered: { filters: Filters; tokens: string[] } = { filters: NO_FILTERS, tokens: [""] };

export function VerificationsView() {
  const failure = useFailure();
  const [filters, setFilters] = useState(remembered.filters);
  // The page tokens that led to each page seen so far: "" for the first; the last one is the current page.
  const [tokens, setTokens] = useState(remembered.tokens);
  const [page, setPage] = useState<{ verifications: Verification[]; next: string } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    remembered = { filters, tokens };
    const abort = new AbortController();
    setError(undefined);
    admin.listVerifications(requestOf(filters, tokens[tokens.length - 1]!), { signal: abort.signal }).then(
      (answer) => setPage({ verifications: answer.verifications, next: answer.nextPageToken }),
      (reason) => {
        const message = failure(reason);
        if (message) setError(message);
      },
    );
    return () => abort.abort();
  }, [filters, tokens, failure]);

  return (
    <>
      <h1>Verifications</h1>
      <FilterForm
        filters={filters}
        onApply={(next) => {
          setFilters(next);
          setTokens([""]);
        }}
      />
      {error && <ErrorNote>{`The verifications could not be listed: ${error}`}</ErrorNote>}
      {page && <VerificationTable verifications={page.verifications} />}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={tokens.length <= 1} onClick={() => setTokens(tokens.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {tokens.length}</span>
        <button type="button" disabled={!page?.next} onClick={() => page?.next && setTokens([...tokens, page.next])}>
          Next page
        </button>
      </nav>
    </>
  );
}

function requestOf(filters: Filters, pageToken: string) {
  const at = (local: string) => (local ? timestampFromMs(new Date(local).getTime()) : undefined);
  return {
    statuses: filters.statuses,
    country: filters.country.trim().toUpperCase(),
    provider: filters.provider.trim(),
    createdAfter: at(filters.createdAfter),
    createdBefore: at(filters.createdBefore),
    pageSize: filters.pageSize,
    pageToken,
  };
}

function FilterForm(props: { filters: Filters; onApply: (filters: Filters) => void }) {
  const [draft, setDraft] = useState(props.filters);
  const text = (key: "country" | "provider" | "createdAfter" | "createdBefore") => ({
    value: draft[key],
    onInput: (event: { currentTarget: HTMLInputElement }) => setDraft({ ...draft, [key]: event.currentTarget.value }),
  });
  const toggle = (status: VerificationStatus, on: boolean) =>
    setDraft({ ...draft, statuses: on ? [...draft.statuses, status] : draft.statuses.filter((s) => s !== status) });
  return (
    <form
      class="filters"
      aria-label="Filters"
      onSubmit={(event) => {
        event.preventDefault();
        props.onApply(draft);
      }}
    >
      <fieldset>
        <legend>Status (any when none is ticked)</legend>
        {STATUSES.map((status) => (
          <label key={status} class="check">
            <input type="checkbox" checked={draft.statuses.includes(status)} onChange={(event) => toggle(status, event.currentTarget.checked)} />
            {statusName(status)}
          </label>
        ))}
      </fieldset>
      <div class="inline-form">
        <label>
          Country
          <input name="country" maxLength={2} size={3} placeholder="US" {...text("country")} />
        </label>
        <label>
          Provider
          <input name="provider" size={12} placeholder="sim-a" {...text("provider")} />
        </label>
        <label>
          Created after
          <input name="created-after" type="datetime-local" step={1} {...text("createdAfter")} />
        </label>
        <label>
          Created before
          <input name="created-before" type="datetime-local" step={1} {...text("createdBefore")} />
        </label>
        <label>
          Per page
          <select name="page-size" value={String(draft.pageSize)} onChange={(event) => setDraft({ ...draft, pageSize: Number(event.currentTarget.value) })}>
            {PAGE_SIZES.map((size) => (
              <option key={size} value={String(size)}>
                {size}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Apply filters</button>
        <button
          type="button"
          onClick={() => {
            setDraft(NO_FILTERS);
            props.onApply(NO_FILTERS);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function VerificationTable(props: { verifications: Verification[] }) {
  if (props.verifications.length === 0) return <p>No verification matches.</p>;
  return (
    <div class="table-scroll">
      <table class="verifications">
        <caption>Verifications, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Verification</th>
            <th scope="col">Phone number</th>
            <th scope="col">Country</th>
            <th scope="col">Channel</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {props.verifications.map((verification) => (
            <tr key={verification.id} data-verification={verification.id}>
              <th scope="row">
                <a href={hrefOf({ view: "verification", id: verification.id })}>{verification.id}</a>
              </th>
              <td>{verification.phoneNumber}</td>
              <td>{verification.country}</td>
              <td>{channelName(verification.channel)}</td>
              <td>
                <StatusBadge status={verification.status} />
              </td>
              <td>{verification.attempts.map((attempt) => attempt.provider).join(" → ") || "none"}</td>
              <td>
                <time dateTime={isoOf(verification.createdAt)}>{timeText(verification.createdAt)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
