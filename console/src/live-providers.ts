/**
 * The providers' figures as they change: WatchProviders streams them at the
 * server's interval; when the stream fails (an older verifyd without it, a
 * proxy that buffers streams, a dropped connection), ListProviders is polled
 * instead, and the stream is tried again after a while.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { useEffect, useState } from "preact/hooks";
import type { ProviderInfo } from "../../gen/verify/admin/v1/admin_pb.js";
import { useFailure } from "./access.js";
import { admin, pause } from "./api.js";

export const POLL_INTERVAL_MS = 5_000;
/** Polls between two tries of the stream: a stream that keeps failing costs one call a half-minute. */
const POLLS_BEFORE_STREAM_RETRY = 6;

export interface LiveProviders {
  providers?: ProviderInfo[];
  /** When verifyd took the figures (the stream says), or when the poll was answered. */
  at?: Date;
  mode: "connecting" | "live" | "polling";
  error?: string;
}

type Update = (next: Partial<LiveProviders>) => void;
type Failure = (error: unknown) => string | undefined;

export function useLiveProviders(): LiveProviders {
  const failure = useFailure();
  const [state, setState] = useState<LiveProviders>({ mode: "connecting" });
  useEffect(() => {
    const abort = new AbortController();
    void follow(abort.signal, (next) => setState((previous) => ({ ...previous, ...next })), failure);
    return () => abort.abort();
  }, [failure]);
  return state;
}

async function follow(signal: AbortSignal, update: Update, failure: Failure): Promise<void> {
  let streamOffered = true;
  while (!signal.aborted) {
    if (streamOffered) {
      try {
        for await (const answer of admin.watchProviders({}, { signal })) {
          update({ providers: answer.providers, at: dateOf(answer.at), mode: "live", error: undefined });
        }
      } catch (error) {
        if (failure(error) === undefined) return;
        // A verifyd without the stream will not grow one: poll from now on.
        if (ConnectError.from(error).code === Code.Unimplemented) streamOffered = false;
      }
    }
    if (!(await poll(signal, update, failure, streamOffered ? POLLS_BEFORE_STREAM_RETRY : Number.POSITIVE_INFINITY))) return;
  }
}

/** Polls `times` times; false when polling must stop (the view was left, or the token refused). */
async function poll(signal: AbortSignal, update: Update, failure: Failure, times: number): Promise<boolean> {
  for (let polled = 0; polled < times; polled++) {
    if (signal.aborted) return false;
    try {
      const answer = await admin.listProviders({}, { signal });
      update({ providers: answer.providers, at: new Date(), mode: "polling", error: undefined });
    } catch (error) {
      const message = failure(error);
      if (message === undefined) return false;
      update({ error: message, mode: "polling" });
    }
    await pause(POLL_INTERVAL_MS, signal);
  }
  return !signal.aborted;
}

function dateOf(at: Timestamp | undefined): Date {
  return at ? new Date(Number(at.seconds) * 1000 + Math.floor(at.nanos / 1e6)) : new Date();
}
