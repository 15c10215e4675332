import { describe, expect, test } from "vitest";
import { changed, mapResult, unchanged } from "../../../src/verification/transitions/outcome.js";
import { record } from "../support/builders.js";

describe("outcome helpers", () => {
  test("changed carries record, events, result and no effects unless given", () => {
    const next = record();

    expect(changed(next, [{ type: "verified" }], 1)).toEqual({ record: next, events: [{ type: "verified" }], effects: [], result: 1 });
    expect(changed(next, [], 2, [{ kind: "wake_timers" }])).toEqual({ record: next, events: [], effects: [{ kind: "wake_timers" }], result: 2 });
  });

  test("unchanged carries only the result", () => {
    expect(unchanged("x")).toEqual({ unchanged: true, result: "x" });
  });

  test("mapResult maps the result of an unchanged outcome and keeps it unchanged", () => {
    expect(mapResult(unchanged(2), (n) => n * 10)).toEqual({ unchanged: true, result: 20 });
  });

  test("mapResult maps the result of a change and keeps record, events and effects", () => {
    const next = record();
    const outcome = changed(next, [{ type: "canceled" }], 3, [{ kind: "wake_timers" }]);

    expect(mapResult(outcome, (n) => `#${n}`)).toEqual({ record: next, events: [{ type: "canceled" }], effects: [{ kind: "wake_timers" }], result: "#3" });
  });
});
