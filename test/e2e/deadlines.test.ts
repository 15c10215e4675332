import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterEach, expect, test } from "vitest";
import { EventType, VerificationService } from "../../gen/verify/v1/verify_pb.js";
import { expectConnectError } from "../support/expect-error.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { WatchRecorder } from "../support/watch.js";
import { E2E_SCENARIO } from "./scenario.js";

let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

const sendsTo = (provider: string, phoneNumber: string) => server!.sends(provider).filter((call) => call.message.to === phoneNumber);

test("a gRPC Start whose deadline passes while a provider answers makes no further provider call and answers DEADLINE_EXCEEDED", async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
  // sim-a refuses +1202555014x after 150 ms; sim-b would be next.
  const phoneNumber = "+12025550140";

  await expectConnectError(server.grpc.start({ phoneNumber }, { timeoutMs: 60 }), Code.DeadlineExceeded);
  // The server finishes sim-a's call (never cut mid-send), then stops instead of failing over.
  await new Promise((resolve) => setTimeout(resolve, 300));

  expect(sendsTo("sim-a", phoneNumber)).toHaveLength(1);
  expect(sendsTo("sim-b", phoneNumber)).toHaveLength(0);
  const [id] = server.createdIds().slice(-1);
  const record = await server.app.store.get(id!);
  expect(record?.status).toBe("pending");
  expect(record?.lease).toBeUndefined();
});

test("grpc-js with a 1 ms deadline: no SMS is sent after the deadline", async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
  const phoneNumber = "+12025550141";
  const error = await server.grpcJs.unary(VerificationService.method.start, { phoneNumber }, { deadlineMs: 1 }).then(
    () => undefined,
    (e: { code?: number }) => e,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));

  expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  // At most the first provider was called before the deadline was seen; never the second.
  expect(sendsTo("sim-b", phoneNumber)).toHaveLength(0);
});

test("a Watch that reaches its deadline ends with DEADLINE_EXCEEDED, not OK", async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
  // sim-a drops +1202555012x: the verification stays open for the whole Watch.
  const { verification } = await server.connectH2.start({ phoneNumber: "+12025550120" });
  const watch = WatchRecorder.connect(server.grpc.watch({ verificationId: verification!.id }, { timeoutMs: 300 }));
  await watch.waitFor(EventType.SNAPSHOT);

  const outcome = await watch.ended(3000);

  expect(outcome.ok).toBe(false);
  expect(ConnectError.from(outcome.ok ? undefined : outcome.error).code).toBe(Code.DeadlineExceeded);
});

test("closing the app ends open Watch streams with UNAVAILABLE, so clients resume elsewhere", async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
  const { verification } = await server.connectH2.start({ phoneNumber: "+12025550121" });
  const verificationId = verification!.id;
  const watches = [
    WatchRecorder.connect(server.connectH1.watch({ verificationId })),
    WatchRecorder.connect(server.grpc.watch({ verificationId })),
    WatchRecorder.connect(server.grpcWeb.watch({ verificationId })),
  ];
  for (const watch of watches) await watch.waitFor(EventType.SNAPSHOT);

  await server.app.close();

  for (const watch of watches) {
    const outcome = await watch.ended(2000);
    expect(outcome.ok).toBe(false);
    const error = ConnectError.from(outcome.ok ? undefined : outcome.error);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/after_sequence/);
  }
});
