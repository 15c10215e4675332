import type { Channel, SkipReason } from "../verification/model.js";
import type { RouteChoice, RouteSource } from "../verification/ports.js";
import type { RoutingTable } from "./routing-table.js";
import type { ProviderStats, Scorer } from "./scorer.js";

export type RoutingStrategy = "static" | "score" | "cost";

/**
 * One provider's place in a route, and why it is there. The reason is worded
 * only when read (ExplainRoute, a skip noted on an event), never on the
 * Start path, where formatting scores would cost more than the decision.
 */
/** A provider's breaker as routing sees it; the gateway's breakers report it. */
export type BreakerState = "closed" | "open" | "half_open";

export class RouteEntry implements RouteChoice {
  demoted = false;
  /** Put first to sample a demoted provider's recovery. */
  exploration = false;
  /** Not to be tried now: its breaker is open. */
  skip = false;
  /** Set by the cost strategy: expected cost per successful verification, or why the provider is below the floor. */
  costNote: string | undefined;

  constructor(
    /** The provider's configured name. */
    readonly provider: string,
    /** 0-based position in the routing table for the country and channel. */
    readonly tablePosition: number,
    readonly stats: ProviderStats | undefined,
    readonly breaker: BreakerState,
  ) {}

  get skipWhy(): SkipReason | undefined {
    return this.skip ? "breaker_open" : undefined;
  }

  get reason(): string {
    const score = this.stats?.score;
    let reason =
      this.costNote ??
      (score === undefined ? `table position ${this.tablePosition + 1}` : this.demoted ? `demoted: score ${score.toFixed(3)}` : `score ${score.toFixed(3)}`);
    if (this.exploration) reason = `exploration (${reason})`;
    if (this.skip) reason = `circuit open (${reason})`;
    return reason;
  }
}

export interface RouteDecision {
  country: string;
  channel: Channel;
  strategy: RoutingStrategy;
  entries: RouteEntry[];
}

export interface RouterOptions {
  table: RoutingTable;
  /** Absent: the table as written, always. */
  scorer?: Scorer;
  breakerState?: (provider: string, channel: Channel) => BreakerState;
  defaultStrategy: RoutingStrategy;
  strategies?: Readonly<Record<string, RoutingStrategy>>;
  /** Price of one message to a country. */
  costOf: (provider: string, country: string) => number;
  /** Uniform in [0, 1); injected so exploration is testable. */
  random: () => number;
}

/**
 * Decides the order in which a Start tries providers: the routing table as
 * a prior, reordered by the scorer (or by expected cost per success), with
 * demoted providers at the back except for a small exploration share, and
 * providers behind an open breaker skipped.
 */
export class Router implements RouteSource {
  readonly #o: RouterOptions;

  constructor(options: RouterOptions) {
    this.#o = options;
  }

  /** The route as the dispatcher takes it: providers in order, skipped ones last and marked. */
  plan(country: string, channel: Channel): readonly RouteChoice[] {
    return this.route(country, channel).entries;
  }

  route(country: string, channel: Channel): RouteDecision {
    const { table, scorer } = this.#o;
    const strategy = this.#o.strategies?.[country] ?? this.#o.defaultStrategy;
    const providers = table.providersFor(country, channel);
    const scored = scorer !== undefined && strategy !== "static";
    const entries = providers.map(
      (provider, tablePosition) =>
        new RouteEntry(
          provider,
          tablePosition,
          scored ? scorer.stats(provider, country, channel) : undefined,
          this.#o.breakerState?.(provider, channel) ?? "closed",
        ),
    );
    let ordered = entries;
    if (scorer && strategy !== "static" && entries.length > 1) {
      // The best and second-best scores, so each provider is compared with its best *other* peer in one pass.
      let best = 0;
      let second = 0;
      for (const entry of entries) {
        const score = entry.stats!.score;
        if (score === undefined) continue;
        if (score > best) [best, second] = [score, best];
        else if (score > second) second = score;
      }
      let anyDemoted = false;
      for (const entry of entries) {
        const score = entry.stats!.score;
        if (score === undefined) continue;
        entry.demoted = scorer.isDemotedGiven(entry.stats!, score === best ? second : best);
        anyDemoted ||= entry.demoted;
      }
      ordered = strategy === "cost" ? this.#byCost(entries, country, scorer.settings.qualityFloor) : byScore(entries);
      if (anyDemoted && this.#o.random() < scorer.settings.explorationShare) {
        const demoted = ordered.filter((entry) => entry.demoted);
        const pick = demoted[Math.floor(this.#o.random() * demoted.length)]!;
        pick.exploration = true;
        ordered = [pick, ...ordered.filter((entry) => entry !== pick)];
      }
    }
    // An open breaker answers nothing useful: skip it at no cost. Half-open lets the probe through.
    for (const entry of ordered) {
      if (entry.breaker === "open") entry.skip = true;
    }
    const anySkipped = ordered.some((entry) => entry.skip);
    return { country, channel, strategy, entries: anySkipped ? [...ordered.filter((e) => !e.skip), ...ordered.filter((e) => e.skip)] : ordered };
  }

  /** Channels other than `channel` with at least one provider for the country. */
  otherRoutableChannels(country: string, channel: Channel): Channel[] {
    return this.#o.table.otherRoutableChannels(country, channel);
  }

  /**
   * Cheapest expected cost per successful verification first (price ÷
   * completion rate) among scored providers above the quality floor; the
   * unscored keep table order after them, the rest go last.
   */
  #byCost(entries: RouteEntry[], country: string, floor: number): RouteEntry[] {
    const qualified: Array<[RouteEntry, number]> = [];
    const unscored: RouteEntry[] = [];
    const below: RouteEntry[] = [];
    for (const entry of entries) {
      const stats = entry.stats;
      if (stats?.score === undefined) unscored.push(entry);
      else if (stats.completionRate >= floor && !entry.demoted) {
        const expected = this.#o.costOf(entry.provider, country) / stats.completionRate;
        entry.costNote = `expected cost per success ${expected.toFixed(4)}`;
        qualified.push([entry, expected]);
      } else {
        if (!entry.demoted) entry.costNote = `below quality floor: completion ${stats.completionRate.toFixed(2)}`;
        below.push(entry);
      }
    }
    qualified.sort((a, b) => a[1] - b[1] || a[0].tablePosition - b[0].tablePosition);
    return [...qualified.map(([entry]) => entry), ...unscored, ...below];
  }
}

/**
 * The table as a prior: scored providers swap places among the slots scored
 * providers hold, best score first; unscored ones keep their slot; demoted
 * ones go to the back in table order.
 */
function byScore(entries: RouteEntry[]): RouteEntry[] {
  const ordered: RouteEntry[] = [];
  const demoted: RouteEntry[] = [];
  const slots: number[] = [];
  const scored: RouteEntry[] = [];
  for (const entry of entries) {
    if (entry.demoted) {
      demoted.push(entry);
      continue;
    }
    if (entry.stats?.score !== undefined) {
      slots.push(ordered.length);
      scored.push(entry);
    }
    ordered.push(entry);
  }
  scored.sort((a, b) => b.stats!.score! - a.stats!.score! || a.tablePosition - b.tablePosition);
  for (let i = 0; i < slots.length; i++) ordered[slots[i]!] = scored[i]!;
  for (const entry of demoted) ordered.push(entry);
  return ordered;
}
