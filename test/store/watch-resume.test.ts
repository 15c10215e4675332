/**
 * Watch resumed after a disconnect (WatchRequest.after_sequence), on the
 * memory store: the stored events after the sequence are replayed instead of
 * a snapshot, and a snapshot comes after all when they are no longer stored.
 * The same across instances on MongoDB is in test/multi-instance.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EventType } from "../../gen/verify/v1/verify_pb.js";
import { startTestServer, type TestServer } from "../support/server.js";

const SCENARIO = {
  policy: { delivery_window: "10m" },
  providers: [{ name: "sim", type: "simulator", channels: ["sms"], simulate: { default: { outcome: "drop" } } }],
  routing: { default: ["sim"] },
};

describe("Watch resumed after a sequence", () => {
  let server: TestServer;
  let id: string;

  /** The events of a Watch resumed after `afterSequence`, until the stream ends. */
  async function resumeAfter(afterSequence: number): Promise<Array<[number, EventType]>> {
    const seen: Array<[number, EventType]> = [];
    for await (const { event } of server.connectH2.watch({ verificationId: id, afterSequence: BigInt(afterSequence) })) {
      seen.push([Number(event!.sequence), event!.type]);
    }
    return seen;
  }

  beforeEach(async () => {
    server = await startTestServer({ config: SCENARIO });
    const phoneNumber = "+13035590000";
    id = (await server.connectH2.start({ phoneNumber })).verification!.id;
    const code = await server.codeSentTo(phoneNumber);
    // Events: 1 submitted, 2 check_failed, 3 verified.
    await server.connectH2.check({ verificationId: id, code: code === "000000" ? "111111" : "000000" });
    await server.connectH2.check({ verificationId: id, code });
  });
  afterEach(async () => {
    await server.close();
  });

  it("replays the events after the sequence instead of a snapshot, and ends after the terminal one", async () => {
    expect(await resumeAfter(1)).toEqual([
      [2, EventType.CHECK_FAILED],
      [3, EventType.VERIFIED],
    ]);
  });

  it("ends at once when the client has already seen the terminal event", async () => {
    expect(await resumeAfter(3)).toEqual([]);
  });

  it("sends the snapshot when the events after the sequence are no longer stored", async () => {
    // What a store that kept only a bounded history answers for an old sequence.
    server.app.store.readEvents = async () => [];
    expect(await resumeAfter(1)).toEqual([[3, EventType.SNAPSHOT]]);
  });

  it("sends the snapshot for a sequence the verification never had", async () => {
    expect(await resumeAfter(99)).toEqual([[3, EventType.SNAPSHOT]]);
  });
});
