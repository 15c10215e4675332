import { toJson } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EventType, VerificationEventSchema, VerificationService, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { eventually } from "../support/eventually.js";
import { wrongCode } from "../support/outbox.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { WatchRecorder } from "../support/watch.js";
import { requireVerification } from "./responses.js";
import { E2E_POLICY, E2E_SCENARIO } from "./scenario.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
});

afterAll(async () => {
  await server?.close();
});

describe("Watch", () => {
  test("two watchers each get a SNAPSHOT, then the same events in increasing sequence, and the streams end OK after VERIFIED", async () => {
    const phoneNumber = "+12025550300";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const code = await server.codeSentTo(phoneNumber);
    // Let the receipt land first, so both snapshots see the same state.
    await eventually(async () => {
      expect((await server.connectH2.get({ verificationId: started.id })).verification?.status).toBe(VerificationStatus.DELIVERED);
    });

    const overConnect = WatchRecorder.connect(server.connectH2.watch({ verificationId: started.id }));
    const overGrpcJs = WatchRecorder.grpcJs(server.grpcJs.serverStream(VerificationService.method.watch, { verificationId: started.id }));
    await overConnect.waitFor(EventType.SNAPSHOT);
    await overGrpcJs.waitFor(EventType.SNAPSHOT);

    await server.connectH2.check({ verificationId: started.id, code: wrongCode(code) });
    await server.connectH2.check({ verificationId: started.id, code });

    expect(await overConnect.ended()).toEqual({ ok: true });
    expect(await overGrpcJs.ended()).toEqual({ ok: true });
    for (const watch of [overConnect, overGrpcJs]) {
      expect(watch.types).toEqual([EventType.SNAPSHOT, EventType.CHECK_FAILED, EventType.VERIFIED]);
      const sequences = watch.events.map((event) => Number(event.sequence));
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      expect(new Set(sequences).size).toBe(sequences.length);
      expect(watch.events.every((event) => event.verificationId === started.id)).toBe(true);
    }
    const [snapshot, failed, verified] = overConnect.events;
    expect(snapshot!.verification?.status).toBe(VerificationStatus.DELIVERED);
    expect(failed!.verification?.checkAttemptsRemaining).toBe(E2E_POLICY.max_check_attempts - 1);
    expect(verified!.verification?.status).toBe(VerificationStatus.VERIFIED);

    // The two watchers saw the very same sequence (the snapshot's `at` is when each watch began).
    const comparable = (watch: WatchRecorder) =>
      watch.events.map((event, index) => {
        const json = toJson(VerificationEventSchema, event) as Record<string, unknown>;
        if (index === 0) delete json.at;
        return json;
      });
    expect(comparable(overGrpcJs)).toEqual(comparable(overConnect));
  });

  test("Watch follows a verification from SUBMITTED through DELIVERED to CANCELED, and ends", async () => {
    const phoneNumber = "+12025550301";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const watch = WatchRecorder.grpcJs(server.grpcJs.serverStream(VerificationService.method.watch, { verificationId: started.id }));
    await watch.waitFor(EventType.DELIVERED);
    await server.grpcJs.unary(VerificationService.method.cancel, { verificationId: started.id });
    const canceled = await watch.waitFor(EventType.CANCELED);
    expect(canceled.verification?.status).toBe(VerificationStatus.CANCELED);
    expect(await watch.ended()).toEqual({ ok: true });
    expect(watch.types.at(0)).toBe(EventType.SNAPSHOT);
    expect(watch.types.slice(-2)).toEqual([EventType.DELIVERED, EventType.CANCELED]);
  });

  test("Watch on a finished verification sends its SNAPSHOT and ends at once", async () => {
    const phoneNumber = "+12025550302";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    await server.connectH2.cancel({ verificationId: started.id });

    for (const watch of [
      WatchRecorder.connect(server.connectH1.watch({ verificationId: started.id })),
      WatchRecorder.grpcJs(server.grpcJs.serverStream(VerificationService.method.watch, { verificationId: started.id })),
    ]) {
      expect(await watch.ended(2000)).toEqual({ ok: true });
      expect(watch.types).toEqual([EventType.SNAPSHOT]);
      expect(watch.events[0]!.verification?.status).toBe(VerificationStatus.CANCELED);
    }
  });

  test("a watcher that goes away does not disturb the verification or other watchers", async () => {
    const phoneNumber = "+12025550303";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const code = await server.codeSentTo(phoneNumber);
    const leaving = new AbortController();
    const left = WatchRecorder.connect(server.connectH2.watch({ verificationId: started.id }, { signal: leaving.signal }));
    const staying = WatchRecorder.connect(server.connectH2.watch({ verificationId: started.id }));
    await left.waitFor(EventType.SNAPSHOT);
    await staying.waitFor(EventType.SNAPSHOT);
    leaving.abort();
    const outcome = await left.ended();
    expect(outcome.ok).toBe(false);

    expect((await server.connectH2.check({ verificationId: started.id, code })).approved).toBe(true);
    await staying.waitFor(EventType.VERIFIED);
    expect(await staying.ended()).toEqual({ ok: true });
  });
});
