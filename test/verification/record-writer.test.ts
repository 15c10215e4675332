import { describe, expect, test } from "vitest";
import { VerifyError } from "../../src/verification/errors.js";
import type { VerificationEvent, VerificationRecord } from "../../src/verification/model.js";
import type { VerificationStore } from "../../src/verification/ports.js";
import { RecordWriter } from "../../src/verification/record-writer.js";
import { cancel, changed, type Effect, type Transition, unchanged } from "../../src/verification/transitions/index.js";
import { FakeClock } from "../support/fakes.js";
import { ID, record, T0 } from "./support/builders.js";

/** A store of one record with a version check, that logs every call and can let "someone else" write first. */
function tinyStore(initial: VerificationRecord | undefined) {
  let stored = initial;
  const log: string[] = [];
  const replaced: Array<{ record: VerificationRecord; expectedVersion: number; events: readonly VerificationEvent[] }> = [];
  const published: VerificationEvent[][] = [];
  let interfere: ((current: VerificationRecord) => VerificationRecord | undefined) | undefined;
  const store = {
    async get(id: string) {
      log.push("get");
      return stored?.id === id ? stored : undefined;
    },
    async replace(next: VerificationRecord, expectedVersion: number, events: readonly VerificationEvent[] = []) {
      log.push("replace");
      const other = interfere && stored ? interfere(stored) : undefined;
      if (other) stored = other;
      if (!stored || stored.version !== expectedVersion) return undefined;
      replaced.push({ record: next, expectedVersion, events });
      stored = { ...next, version: expectedVersion + 1 };
      return stored;
    },
    async publish(events: readonly VerificationEvent[]) {
      log.push("publish");
      published.push([...events]);
    },
  };
  return {
    store: store as unknown as VerificationStore,
    log,
    replaced,
    published,
    /** Before each replace, another writer may store this instead (return undefined to leave it). */
    interfere(fn: (current: VerificationRecord) => VerificationRecord | undefined) {
      interfere = fn;
    },
  };
}

function writerFor(initial: VerificationRecord | undefined) {
  const clock = new FakeClock(T0 + 1_000);
  const s = tinyStore(initial);
  const observed: VerificationEvent[][] = [];
  const performed: Effect[] = [];
  const writer = new RecordWriter({
    store: s.store,
    clock,
    observer: (events) => {
      s.log.push("observe");
      observed.push([...events]);
    },
    perform: (effect) => {
      s.log.push(`perform ${effect.kind}`);
      performed.push(effect);
    },
  });
  return { ...s, clock, writer, observed, performed };
}

/** Cancels and asks for a wake, recording the records it was applied to. */
function recordingCancel(seen: Array<[VerificationRecord, number]>): Transition<string> {
  return (current, now) => {
    seen.push([current, now]);
    const outcome = cancel(current);
    if ("unchanged" in outcome) return unchanged("no");
    return changed(outcome.record, [...outcome.events, { type: "failed" }], "done", [{ kind: "wake_timers" }]);
  };
}

describe("RecordWriter.read", () => {
  test("answers the stored record", async () => {
    const current = record();

    expect(await writerFor(current).writer.read(ID)).toBe(current);
  });

  test("refuses an unknown id with not_found", async () => {
    await expect(writerFor(undefined).writer.read("ver_none")).rejects.toMatchObject({ kind: "not_found", message: "verification ver_none not found" });
  });
});

describe("RecordWriter.apply", () => {
  test("writes the transition's record under a version check, numbering its events after the record's sequence", async () => {
    const w = writerFor(record({ sequence: 4, version: 7 }));
    const seen: Array<[VerificationRecord, number]> = [];

    const { record: written, result } = await w.writer.apply(ID, recordingCancel(seen));

    expect(result).toBe("done");
    expect(seen.map(([r, now]) => [r.version, now])).toEqual([[7, T0 + 1_000]]);
    const [write] = w.replaced;
    expect(write!.expectedVersion).toBe(7);
    expect(write!.record).toMatchObject({ status: "canceled", updatedAt: T0 + 1_000, sequence: 6, version: 7 });
    expect(write!.events.map((e) => [e.type, e.sequence, e.verificationId, e.at])).toEqual([
      ["canceled", 5, ID, T0 + 1_000],
      ["failed", 6, ID, T0 + 1_000],
    ]);
    expect(written).toEqual({ ...write!.record, version: 8 });
    expect(written).toBe(await w.store.get(ID));
  });

  test("publishes and observes the events after the write, each carrying the stored record, then performs the effects", async () => {
    const w = writerFor(record());

    const { record: written } = await w.writer.apply(ID, recordingCancel([]));

    expect(w.log).toEqual(["get", "replace", "publish", "observe", "perform wake_timers"]);
    expect(w.published).toHaveLength(1);
    expect(w.published[0]!.every((event) => event.verification === written)).toBe(true);
    expect(w.observed).toEqual(w.published);
    expect(w.performed).toEqual([{ kind: "wake_timers" }]);
  });

  test("a write without events publishes and observes nothing, but still performs its effects", async () => {
    const w = writerFor(record());

    await w.writer.apply(ID, (current) => changed({ ...current, dueAt: 1 }, [], undefined, [{ kind: "wake_timers" }]));

    expect(w.log).toEqual(["get", "replace", "perform wake_timers"]);
    expect(w.replaced[0]!.record.sequence).toBe(4);
  });

  test("on a version conflict reads again and re-applies the transition to the newer record", async () => {
    const w = writerFor(record({ sequence: 4, version: 7 }));
    const newer = record({ sequence: 9, version: 8, metadata: { by: "other" } });
    let once = false;
    w.interfere(() => {
      if (once) return undefined;
      once = true;
      return newer;
    });
    const seen: Array<[VerificationRecord, number]> = [];

    const { record: written } = await w.writer.apply(ID, (current, now) => {
      w.clock.advance(10);
      return recordingCancel(seen)(current, now);
    });

    expect(seen.map(([r, now]) => [r.version, now])).toEqual([
      [7, T0 + 1_000],
      [8, T0 + 1_010],
    ]);
    expect(w.log).toEqual(["get", "replace", "get", "replace", "publish", "observe", "perform wake_timers"]);
    expect(w.replaced).toHaveLength(1);
    expect(w.replaced[0]!.expectedVersion).toBe(8);
    expect(w.replaced[0]!.events.map((e) => e.sequence)).toEqual([10, 11]);
    expect(written).toMatchObject({ metadata: { by: "other" }, status: "canceled", sequence: 11, version: 9, updatedAt: T0 + 1_010 });
  });

  test("a conflict on an offered record re-reads instead of trusting it again", async () => {
    const stale = record({ version: 3 });
    const w = writerFor(record({ version: 5 }));
    const seen: Array<[VerificationRecord, number]> = [];

    await w.writer.apply(ID, recordingCancel(seen), stale);

    expect(seen.map(([r]) => r.version)).toEqual([3, 5]);
    expect(w.log.slice(0, 3)).toEqual(["replace", "get", "replace"]);
  });

  test("an offered record saves the read when the write succeeds", async () => {
    const current = record();
    const w = writerFor(current);

    await w.writer.apply(ID, recordingCancel([]), current);

    expect(w.log[0]).toBe("replace");
    expect(w.log).not.toContain("get");
  });

  test("'nothing to do' on an offered record is checked on a fresh read", async () => {
    const offered = record({ version: 1 });
    const fresh = record({ version: 2, status: "verified" });
    const w = writerFor(fresh);
    const seen: VerificationRecord[] = [];

    const { record: answer, result } = await w.writer.apply(
      ID,
      (current) => {
        seen.push(current);
        return unchanged(current.version);
      },
      offered,
    );

    expect(seen).toEqual([offered, fresh]);
    expect(answer).toBe(fresh);
    expect(result).toBe(2);
    expect(w.log).toEqual(["get"]);
  });

  test("'nothing to do' on a fresh read answers that record and writes, publishes, observes and performs nothing", async () => {
    const current = record();
    const w = writerFor(current);

    const outcome = await w.writer.apply(ID, () => unchanged("same"));

    expect(outcome).toEqual({ record: current, result: "same" });
    expect(w.log).toEqual(["get"]);
  });

  test("an offered record that turns out changed is written from the fresh read", async () => {
    const offered = record({ version: 1 });
    const w = writerFor(record({ version: 2 }));

    const { record: written } = await w.writer.apply(ID, (current) => (current === offered ? unchanged(0) : changed({ ...current, dueAt: 5 }, [], 1)), offered);

    expect(written).toMatchObject({ dueAt: 5, version: 3 });
  });

  test("a transition that throws writes nothing", async () => {
    const w = writerFor(record({ status: "verified" }));

    await expect(w.writer.apply(ID, (current) => cancel(current))).rejects.toMatchObject({ kind: "failed_precondition" });
    expect(w.log).toEqual(["get"]);
  });

  test("an unknown id is not_found", async () => {
    await expect(writerFor(undefined).writer.apply("ver_none", () => unchanged(1))).rejects.toMatchObject({ kind: "not_found" });
  });

  test("gives up with unavailable after 16 conflicts in a row, having published, observed and performed nothing", async () => {
    const w = writerFor(record({ version: 1 }));
    let version = 1;
    w.interfere((current) => ({ ...current, version: ++version }));
    let calls = 0;

    const failure = w.writer.apply(ID, (current) => {
      calls++;
      return changed({ ...current }, [{ type: "canceled" }], undefined, [{ kind: "wake_timers" }]);
    });

    await expect(failure).rejects.toBeInstanceOf(VerifyError);
    await expect(failure).rejects.toMatchObject({ kind: "unavailable", message: `verification ${ID} is changing too fast; try again` });
    expect(calls).toBe(16);
    expect(w.log.filter((entry) => entry === "replace")).toHaveLength(16);
    expect(w.published).toEqual([]);
    expect(w.observed).toEqual([]);
    expect(w.performed).toEqual([]);
  });

  test("succeeds on the 16th try after 15 conflicts", async () => {
    const w = writerFor(record({ version: 1 }));
    let version = 1;
    w.interfere((current) => (version < 16 ? { ...current, version: ++version } : undefined));

    const { record: written } = await w.writer.apply(ID, (current) => changed({ ...current }, [], "ok"));

    expect(written.version).toBe(17);
    expect(w.log.filter((entry) => entry === "replace")).toHaveLength(16);
  });

  test("works without an observer or effect performer", async () => {
    const s = tinyStore(record());
    const writer = new RecordWriter({ store: s.store, clock: new FakeClock(T0) });

    const { result } = await writer.apply(ID, recordingCancel([]));

    expect(result).toBe("done");
    expect(s.log).toEqual(["get", "replace", "publish"]);
  });
});
