import { afterEach, describe, expect, test } from "vitest";
import { AttemptStatus } from "../../gen/verify/v1/verify_pb.js";
import { FakeClock, T0 } from "../support/clock.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { lastCodeFrom, order, receipt, silentProvider } from "./scenario.js";

/**
 * A provider that accepts but never delivers in Indonesia, seen through the
 * whole of a real server: Start, the delivery window running out, slow
 * failover, the other provider's receipt, the user's Check, and the scorer
 * learning from those events. The clock, the timer loop and the exploration
 * source are the test's.
 */
const MIN_SAMPLES = 5;
const WINDOW_MS = 600_000; // ten one-minute buckets
const DELIVERY_WINDOW_MS = 30_000;

const idNumber = (i: number) => `+62812345678${String(i).padStart(2, "0")}`;
const deNumber = (i: number) => `+491512345${String(6700 + i)}`;

/** Which provider delivers in which country; A's ID messages vanish until it recovers. */
const delivers = (provider: string, country: string, aRecovered: boolean) => provider !== "a" || country !== "ID" || aRecovered;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup() {
  const clock = new FakeClock(T0);
  let explore = false;
  let aRecovered = false;
  const started = await startTestServer({
    config: {
      policy: { delivery_window: `${DELIVERY_WINDOW_MS}ms` },
      timers: { lease: "5s" },
      scoring: { window: `${WINDOW_MS}ms`, buckets: 10, min_samples: MIN_SAMPLES, exploration: 0.05 },
      providers: [silentProvider("a"), silentProvider("b")],
      routing: { default: ["a", "b"] },
    },
    clock,
    timers: "manual",
    routeRandom: () => (explore ? 0 : 0.999),
  });
  server = started;
  const client = started.connectH2;

  /**
   * One verification as the user lives it: Start; the provider's receipt if it
   * delivers, else the delivery window runs out and the timer fails over; then
   * the user types the code the delivering provider carried. Returns the
   * providers tried, in order.
   */
  async function verify(phone: string): Promise<string[]> {
    const first = (await client.start({ phoneNumber: phone })).verification!;
    let record = first;
    for (;;) {
      const attempt = record.attempts.at(-1)!;
      expect(attempt.status).toBe(AttemptStatus.SUBMITTED);
      if (delivers(attempt.provider, record.country, aRecovered)) {
        await receipt(started, { provider: attempt.provider, verificationId: record.id, attemptNumber: attempt.number, at: clock.now() });
        const code = await lastCodeFrom(started, attempt.provider, phone);
        expect((await client.check({ verificationId: record.id, code })).approved).toBe(true);
        return record.attempts.map((x) => x.provider);
      }
      clock.advance(DELIVERY_WINDOW_MS);
      expect(await started.runTimers()).toBe(1);
      record = (await client.get({ verificationId: first.id })).verification!;
      expect(record.attempts.length, "the timer failed over to the next provider").toBeGreaterThan(attempt.number);
    }
  }

  return {
    clock,
    router: started.app.router,
    verify,
    setExploring(value: boolean) {
      explore = value;
    },
    recoverA() {
      aRecovered = true;
    },
  };
}

describe("demotion of a provider that accepts but never delivers in one country", () => {
  test("it is demoted there within min_samples verifications, keeps its place elsewhere, and returns to the front after recovering", async () => {
    const { clock, router, verify, setExploring, recoverA } = await setup();
    let n = 0;

    // Below min_samples A keeps its table position in ID, and every verification needs the slow failover.
    for (let i = 0; i < MIN_SAMPLES - 1; i++) expect(await verify(idNumber(n++))).toEqual(["a", "b"]);
    let id = router.route("ID", "sms");
    expect(order(id)).toEqual(["a", "b"]);
    expect(id.entries[0]).toMatchObject({ demoted: false, reason: "table position 1" });

    // The min_samples-th verification demotes it: what ExplainRoute would show.
    expect(await verify(idNumber(n++))).toEqual(["a", "b"]);
    id = router.route("ID", "sms");
    expect(order(id)).toEqual(["b", "a"]);
    expect(id.entries[1]).toMatchObject({ demoted: true, reason: expect.stringMatching(/^demoted: score /) });
    expect(id.entries[1]!.stats).toMatchObject({ accepted: MIN_SAMPLES, delivered: 0, verified: 0 });
    expect(id.entries[0]!.stats).toMatchObject({ accepted: MIN_SAMPLES, delivered: MIN_SAMPLES, verified: MIN_SAMPLES });

    // So the next ID verification goes straight to B, with no delivery window lost.
    expect(await verify(idNumber(n++))).toEqual(["b"]);

    // In DE, where A delivers, it keeps first place.
    for (let i = 0; i < MIN_SAMPLES; i++) expect(await verify(deNumber(i))).toEqual(["a"]);
    const de = router.route("DE", "sms");
    expect(order(de)).toEqual(["a", "b"]);
    expect(de.entries[0]).toMatchObject({ demoted: false, reason: expect.stringMatching(/^score /) });

    // A recovers a few minutes later. Without exploration it gets no traffic in ID, so nothing would notice.
    clock.advance(5 * 60_000);
    recoverA();
    expect(await verify(idNumber(n++))).toEqual(["b"]);
    setExploring(true);
    const demotedA = () => router.route("ID", "sms").entries.find((entry) => entry.provider === "a")!.demoted;
    let explorations = 0;
    while (demotedA()) {
      expect(router.route("ID", "sms").entries[0]).toMatchObject({
        exploration: true,
        reason: expect.stringMatching(/^exploration \(demoted/),
      });
      expect(await verify(idNumber(n++))).toEqual(["a"]);
      explorations++;
      expect(explorations, "explorations before A is promoted").toBeLessThan(MIN_SAMPLES);
    }
    setExploring(false);
    // Promoted, though B's better numbers still put B ahead while A's bad minutes are in the window.
    id = router.route("ID", "sms");
    expect(order(id)).toEqual(["b", "a"]);
    expect(id.entries[1]).toMatchObject({ demoted: false, reason: expect.stringMatching(/^score /) });

    // Once the window has moved past the bad minutes A is back in front, and its recent numbers keep it there.
    clock.advance(5 * 60_000);
    expect(order(router.route("ID", "sms"))).toEqual(["a", "b"]);
    for (let i = 0; i < MIN_SAMPLES; i++) expect(await verify(idNumber(n++))).toEqual(["a"]);
    id = router.route("ID", "sms");
    expect(order(id)).toEqual(["a", "b"]);
    expect(id.entries[0]).toMatchObject({ demoted: false, exploration: false, reason: expect.stringMatching(/^score /) });
    // Only the recovered minutes are left in A's window: the exploration sends and the ones since.
    const recent = explorations + MIN_SAMPLES;
    expect(id.entries[0]!.stats).toMatchObject({ accepted: recent, delivered: recent, verified: recent });
  });
});
