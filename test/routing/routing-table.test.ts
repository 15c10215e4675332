import { describe, expect, test } from "vitest";
import type { ProviderAdapter } from "../../src/providers/adapter.js";
import { RoutingTable } from "../../src/routing/routing-table.js";
import { ScriptedProvider } from "../support/fakes.js";

const providers = new Map<string, ProviderAdapter>(
  [new ScriptedProvider("sms-a", ["sms"]), new ScriptedProvider("sms-b", ["sms", "whatsapp"]), new ScriptedProvider("voice-a", ["voice"])].map((provider) => [
    provider.name,
    provider,
  ]),
);

const table = new RoutingTable(
  {
    default: ["sms-a", "sms-b", "voice-a"],
    countries: { DE: ["sms-b", "sms-a", "voice-a"], FR: ["sms-b"] },
  },
  providers,
);

const names = (list: readonly string[]) => [...list];

describe("RoutingTable", () => {
  test("uses a country's own list, in its order, when it has one", () => {
    expect(names(table.providersFor("DE", "sms"))).toEqual(["sms-b", "sms-a"]);
  });

  test("uses the default list for a country without one", () => {
    expect(names(table.providersFor("US", "sms"))).toEqual(["sms-a", "sms-b"]);
  });

  test("keeps only providers that serve the channel", () => {
    expect(names(table.providersFor("US", "voice"))).toEqual(["voice-a"]);
    expect(names(table.providersFor("US", "whatsapp"))).toEqual(["sms-b"]);
  });

  test("treats a country's list as complete: providers it leaves out are not used there", () => {
    expect(names(table.providersFor("FR", "sms"))).toEqual(["sms-b"]);
    expect(table.providersFor("FR", "voice")).toEqual([]);
  });

  test("otherRoutableChannels lists the other channels with a provider for the country", () => {
    expect(table.otherRoutableChannels("US", "sms")).toEqual(["voice", "whatsapp"]);
    expect(table.otherRoutableChannels("US", "voice")).toEqual(["sms", "whatsapp"]);
    expect(table.otherRoutableChannels("FR", "sms")).toEqual(["whatsapp"]);
    expect(table.otherRoutableChannels("FR", "whatsapp")).toEqual(["sms"]);
  });

  test("refuses a route naming an unknown provider", () => {
    expect(() => new RoutingTable({ default: ["sms-a", "nobody"], countries: {} }, providers)).toThrow(/nobody/);
  });
});
