/**
 * One verification as it changes: Get for the state now, then the public
 * Watch stream for every event after it. A Watch cut short (verifyd drained,
 * the connection dropped, too many watchers) resumes with after_sequence, so
 * no event is missed or shown twice.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { useEffect, useState } from "preact/hooks";
import { EventType, type Verification, type VerificationEvent } from "../../gen/verify/v1/verify_pb.js";
import { useFailure } from "./access.js";
import { pause, verifications } from "./api.js";

export interface LiveVerification {
  verification?: Verification;
  /** Events seen since the page was opened, oldest first (the snapshot left out). */
  events: VerificationEvent[];
  stream: "connecting" | "live" | "reconnecting" | "finished" | "failed";
  error?: string;
}

type Update = (change: (previous: LiveVerification) => LiveVerification) => void;
type Failure = (error: unknown) => string | undefined;

const MAX_BACKOFF_MS = 15_000;

export function useLiveVerification(id: string): LiveVerification {
  const failure = useFailure();
  const [state, setState] = useState<LiveVerification>({ events: [], stream: "connecting" });
  useEffect(() => {
    const abort = new AbortController();
    void follow(id, abort.signal, setState, failure);
    return () => abort.abort();
  }, [id, failure]);
  return state;
}

async function follow(id: string, signal: AbortSignal, update: Update, failure: Failure): Promise<void> {
  try {
    const { verification } = await verifications.get({ verificationId: id }, { signal });
    update((previous) => ({ ...previous, verification }));
  } catch (error) {
    const message = failure(error);
    if (message) update((previous) => ({ ...previous, stream: "failed", error: message }));
    return;
  }
  let after = 0n;
  for (let failures = 0; !signal.aborted; ) {
    try {
      for await (const { event } of verifications.watch({ verificationId: id, afterSequence: after }, { signal })) {
        if (!event) continue;
        after = event.sequence > after ? event.sequence : after;
        failures = 0;
        update((previous) => apply(previous, event));
      }
      // Watch ends with OK only after the verification's last event.
      update((previous) => ({ ...previous, stream: "finished", error: undefined }));
      return;
    } catch (error) {
      const message = failure(error);
      if (message === undefined || signal.aborted) return;
      if (isPermanent(error)) return update((previous) => ({ ...previous, stream: "failed", error: message }));
      failures++;
      update((previous) => ({ ...previous, stream: "reconnecting", error: message }));
      await pause(Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures), signal);
    }
  }
}

function apply(previous: LiveVerification, event: VerificationEvent): LiveVerification {
  const next: LiveVerification = { ...previous, stream: "live", error: undefined };
  if (event.verification) next.verification = event.verification;
  const seen = previous.events.some((known) => known.sequence === event.sequence);
  if (event.type !== EventType.SNAPSHOT && !seen) next.events = [...previous.events, event];
  return next;
}

function isPermanent(error: unknown): boolean {
  const code = ConnectError.from(error).code;
  return code === Code.NotFound || code === Code.InvalidArgument || code === Code.Unimplemented;
}
