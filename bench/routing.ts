// Route decision cost: 20 providers, 200 countries, every series scored.
// Prints one JSON line: {"p50Us","p99Us","meanUs","decisions"}.

import type { ProviderAdapter } from "../src/providers/adapter.js";
import { Router } from "../src/routing/router.js";
import { RoutingTable } from "../src/routing/routing-table.js";
import { DEFAULT_SCORING, Scorer } from "../src/routing/scorer.js";
import type { Channel } from "../src/verification/model.js";

const PROVIDERS = 20;
const COUNTRIES = 200;
const DECISIONS = Number(process.env.ROUTE_DECISIONS ?? 200_000);

const providers = new Map<string, ProviderAdapter>();
for (let i = 0; i < PROVIDERS; i++) {
  const name = `p${i}`;
  const channels: Channel[] = i % 5 === 4 ? ["voice"] : ["sms"];
  providers.set(name, { name, type: "bench", channels, cost: 0.01 + i / 1000, send: async () => ({ providerMessageId: "x" }) });
}
const names = [...providers.keys()];
const countries: string[] = [];
for (let a = 0; countries.length < COUNTRIES; a++) countries.push(String.fromCharCode(65 + Math.floor(a / 26)) + String.fromCharCode(65 + (a % 26)));

// Each country lists every provider, in a country-specific rotation.
const table = new RoutingTable(
  { default: names, countries: Object.fromEntries(countries.map((c, i) => [c, [...names.slice(i % PROVIDERS), ...names.slice(0, i % PROVIDERS)]])) },
  providers,
);
let now = 1_700_000_000_000;
const scorer = new Scorer({ ...DEFAULT_SCORING }, () => now);
let seed = 42;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
for (const country of countries) {
  for (const provider of providers.values()) {
    const channel = provider.channels[0]!;
    const quality = random();
    for (let n = 0; n < 40; n++) {
      scorer.recordAccepted(provider.name, country, channel, provider.cost);
      if (random() < quality) scorer.recordDelivered(provider.name, country, channel, 500 + random() * 5000);
      if (random() < quality * 0.9) scorer.recordVerified(provider.name, country, channel);
    }
  }
}
const router = new Router({ table, scorer, breakerState: () => "closed", defaultStrategy: "score", costOf: () => 0.01, random });

// Warm up, then time each decision on its own.
for (let i = 0; i < 20_000; i++) router.route(countries[i % COUNTRIES]!, "sms");
const samples = new Float64Array(DECISIONS);
for (let i = 0; i < DECISIONS; i++) {
  // Move the clock as production would, so cached statistics expire at bucket boundaries.
  if (i % 1000 === 0) now += 1_000;
  const country = countries[(i * 7919) % COUNTRIES]!;
  // As in real traffic, each decision follows a statistics update for that country (untimed).
  scorer.recordAccepted(names[i % PROVIDERS]!, country, "sms", 0.01);
  const start = process.hrtime.bigint();
  const decision = router.route(country, "sms");
  samples[i] = Number(process.hrtime.bigint() - start) / 1000;
  if (decision.entries.length === 0) throw new Error("empty route");
}
samples.sort();
const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
let sum = 0;
for (const s of samples) sum += s;
console.log(JSON.stringify({ p50Us: at(0.5), p99Us: at(0.99), meanUs: sum / samples.length, decisions: DECISIONS }));
