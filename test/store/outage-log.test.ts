import { describe, expect, test } from "vitest";
import { OutageLog } from "../../src/store/outage-log.js";
import type { Logger } from "../../src/verification/ports.js";

interface Line {
  level: keyof Logger;
  fields: Record<string, unknown>;
  message: string;
}

function setup(remindEveryMs?: number) {
  const lines: Line[] = [];
  const at = (level: keyof Logger) => (fields: object, message?: string) =>
    void lines.push({ level, fields: fields as Record<string, unknown>, message: message ?? "" });
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  const clock = { now: 1_000 };
  const outage = new OutageLog(logger, { subject: "event feed", fields: { server: "db:27017" }, now: () => clock.now, remindEveryMs });
  const levels = () => lines.map((line) => line.level);
  return { lines, clock, outage, levels };
}

describe("OutageLog", () => {
  test("warns on the first failure of an outage and only counts the repeats, at debug", () => {
    const { lines, outage, levels } = setup();
    const error = new Error("connection refused");

    for (let i = 0; i < 5; i++) outage.failed(error, "could not read events; retrying");

    expect(levels()).toEqual(["warn", "debug", "debug", "debug", "debug"]);
    expect(lines[0]).toEqual({ level: "warn", fields: { server: "db:27017", err: error, outage: "event feed" }, message: "could not read events; retrying" });
    expect(lines[4]!.fields.failures).toBe(5);
    expect(outage.failing).toBe(true);
    expect(outage.failures).toBe(5);
  });

  test("ends the outage on the next success with one line giving the count and the duration", () => {
    const { lines, clock, outage } = setup();
    outage.failed(new Error("down"), "purge failed");
    clock.now += 1_000;
    outage.failed(new Error("down"), "purge failed");
    clock.now += 2_500;

    outage.succeeded();
    outage.succeeded();

    const recovery = lines.filter((line) => line.level === "info");
    expect(recovery).toEqual([
      {
        level: "info",
        fields: { server: "db:27017", outage: "event feed", failures: 2, durationMs: 3_500 },
        message: "event feed recovered after 2 failures in 3.5 s",
      },
    ]);
    expect(outage.failing).toBe(false);
    expect(outage.failures).toBe(0);
  });

  test("says nothing on success when nothing failed", () => {
    const { lines, outage } = setup();

    outage.succeeded();

    expect(lines).toEqual([]);
  });

  test("a failure after a recovery starts a new outage, warned about again", () => {
    const { outage, levels } = setup();
    outage.failed(new Error("down"), "purge failed");
    outage.succeeded();

    outage.failed(new Error("down again"), "purge failed");

    expect(levels()).toEqual(["warn", "info", "warn"]);
    expect(outage.failures).toBe(1);
  });

  test("reminds at warn, with the count so far, while a long outage lasts", () => {
    const { lines, clock, outage, levels } = setup(60_000);
    for (let second = 0; second <= 130; second++) {
      outage.failed(new Error("down"), "could not read events; retrying");
      clock.now += 1_000;
    }

    expect(levels().filter((level) => level === "warn")).toHaveLength(3);
    const reminders = lines.filter((line) => line.level === "warn").slice(1);
    expect(reminders.map((line) => line.message)).toEqual([
      "could not read events; retrying (still failing: 61 failures in 60.0 s)",
      "could not read events; retrying (still failing: 121 failures in 120.0 s)",
    ]);
  });

  test("with remindEveryMs 0 a long outage is warned about once", () => {
    const { clock, outage, levels } = setup(0);
    for (let i = 0; i < 500; i++) {
      outage.failed(new Error("down"), "heartbeat failed");
      clock.now += 1_000;
    }

    expect(levels().filter((level) => level === "warn")).toHaveLength(1);
  });
});
