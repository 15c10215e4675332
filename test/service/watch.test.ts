import { describe, expect, test } from "vitest";
import type { VerificationEvent } from "../../src/verification/model.js";
import { expectVerifyError } from "../support/expect-error.js";
import { settle } from "../support/fakes.js";
import { createHarness, DEFAULT_POLICY, type Harness, PHONE } from "../support/service-harness.js";

async function collect(stream: AsyncGenerator<VerificationEvent>): Promise<VerificationEvent[]> {
  const events: VerificationEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function startWithCode(h: Harness): Promise<{ id: string; code: string; wrong: string }> {
  const record = await h.service.start({ phoneNumber: PHONE });
  const code = h.provider("sms-a").sent[0]!.code;
  const wrong = [...code].map((digit) => String((Number(digit) + 1) % 10)).join("");
  return { id: record.id, code, wrong };
}

describe("Watch", () => {
  test("first yields a SNAPSHOT of the current state", async () => {
    const h = createHarness();
    const { id } = await startWithCode(h);
    const current = await h.store.get(id);

    const stream = h.service.watch(id, new AbortController().signal);
    const first = await stream.next();
    await stream.return(undefined);

    expect(first.done).toBe(false);
    expect(first.value).toMatchObject({ type: "snapshot", verificationId: id, sequence: current!.sequence });
    expect((first.value as VerificationEvent).verification.status).toBe("submitted");
  });

  test("then yields every event in order with strictly increasing sequence numbers, and ends after the terminal event", async () => {
    const h = createHarness();
    const { id, code, wrong } = await startWithCode(h);
    const stream = h.service.watch(id, new AbortController().signal);
    const snapshot = await stream.next();
    const rest = collect(stream);

    await h.service.check(id, wrong);
    await h.service.check(id, wrong);
    await h.service.check(id, code);
    const events = await rest;

    expect(snapshot.value?.type).toBe("snapshot");
    expect(events.map((e) => e.type)).toEqual(["check_failed", "check_failed", "verified"]);
    const sequences = [snapshot.value!.sequence, ...events.map((e) => e.sequence)];
    for (let i = 1; i < sequences.length; i++) expect(sequences[i]).toBeGreaterThan(sequences[i - 1]!);
    expect(events.at(-1)!.verification.status).toBe("verified");
  });

  test("ends after the EXPIRED event the timer writes at code_ttl", async () => {
    const h = createHarness();
    const { id } = await startWithCode(h);
    const stream = h.service.watch(id, new AbortController().signal);
    await stream.next();
    const rest = collect(stream);

    h.clock.advance(DEFAULT_POLICY.codeTtlMs);
    await h.runTimers();

    expect((await rest).map((e) => e.type)).toEqual(["expired"]);
  });

  test("on a finished verification yields only the snapshot and ends", async () => {
    const h = createHarness();
    const { id } = await startWithCode(h);
    await h.service.cancel(id);

    const events = await collect(h.service.watch(id, new AbortController().signal));

    expect(events.map((e) => [e.type, e.verification.status])).toEqual([["snapshot", "canceled"]]);
  });

  test("ends when its signal aborts, while waiting for the next event", async () => {
    const h = createHarness();
    const { id } = await startWithCode(h);
    const controller = new AbortController();
    const stream = h.service.watch(id, controller.signal);
    await stream.next();
    const waiting = stream.next();
    await settle();

    controller.abort();

    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
  });

  test("gives every watcher of one verification the same sequence of events", async () => {
    const h = createHarness();
    const { id, code, wrong } = await startWithCode(h);
    const streams = [0, 1, 2].map(() => h.service.watch(id, new AbortController().signal));
    for (const stream of streams) await stream.next();
    const results = Promise.all(streams.map(collect));

    await h.service.check(id, wrong);
    await h.service.check(id, code);

    const [first, ...others] = await results;
    expect(first!.map((e) => e.type)).toEqual(["check_failed", "verified"]);
    for (const other of others) expect(other.map((e) => [e.type, e.sequence])).toEqual(first!.map((e) => [e.type, e.sequence]));
  });

  test("on an unknown id fails with not_found", async () => {
    const h = createHarness();

    await expectVerifyError(h.service.watch("ver_unknown", new AbortController().signal).next(), "not_found");
  });
});
