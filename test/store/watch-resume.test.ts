/**
 * Watch resumed after a disconnect (WatchRequest.after_sequence), on the
 * memory store: the stored events after the sequence are replayed instead of
 * a snapshot, and a snapshot comes after all when they are no longer stored.
 * The same across instances on MongoDB is in test/multi-instance.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import type { SimulatorProvider } from "../../src/providers/simulator/simulator.js";
import { type App, startApp } from "../../src/server/app.js";
import { createLogger } from "../../src/telemetry/logger.js";
import type { VerificationEvent } from "../../src/verification/model.js";

const CONFIG = `
server: { port: 0, host: 127.0.0.1 }
store: { type: memory }
security: { code_hmac_key: "watch-resume-hmac-key-0123456789" }
log: { level: silent }
policy: { delivery_window: 10m }
providers:
  - name: sim
    type: simulator
    channels: [sms]
    simulate: { default: { outcome: drop } }
routing: { default: [sim] }
`;

async function collect(stream: AsyncGenerator<VerificationEvent>): Promise<Array<[number, string]>> {
  const seen: Array<[number, string]> = [];
  for await (const event of stream) seen.push([event.sequence, event.type]);
  return seen;
}

describe("Watch resumed after a sequence", () => {
  let app: App;
  let id: string;

  beforeEach(async () => {
    app = await startApp(parseConfig(CONFIG, {}, "test config"), { logger: createLogger("silent") });
    const phoneNumber = "+13035590000";
    id = (await app.service.start({ phoneNumber })).id;
    const code = /\b(\d{6})\b/.exec((app.providers.get("sim") as SimulatorProvider).outbox(phoneNumber)[0]!.body)![1]!;
    // Events: 1 submitted, 2 check_failed, 3 verified.
    await app.service.check(id, code === "000000" ? "111111" : "000000");
    await app.service.check(id, code);
  });
  afterEach(async () => {
    await app.close();
  });

  it("replays the events after the sequence instead of a snapshot, and ends after the terminal one", async () => {
    expect(await collect(app.service.watch(id, new AbortController().signal, 1))).toEqual([
      [2, "check_failed"],
      [3, "verified"],
    ]);
  });

  it("ends at once when the client has already seen the terminal event", async () => {
    expect(await collect(app.service.watch(id, new AbortController().signal, 3))).toEqual([]);
  });

  it("sends the snapshot when the events after the sequence are no longer stored", async () => {
    // What a store that kept only a bounded history answers for an old sequence.
    app.store.readEvents = async () => [];
    expect(await collect(app.service.watch(id, new AbortController().signal, 1))).toEqual([[3, "snapshot"]]);
  });

  it("sends the snapshot for a sequence the verification never had", async () => {
    expect(await collect(app.service.watch(id, new AbortController().signal, 99))).toEqual([[3, "snapshot"]]);
  });
});
