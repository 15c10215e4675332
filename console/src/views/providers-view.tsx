/**
 * Providers (the default view): each provider's breakers per channel and, per
 * country and channel, the scoring window's figures with a chart of score and
 * delivery rate over the window's buckets. Live through WatchProviders.
 */
import type { ProviderInfo, ProviderStats } from "../../../gen/verify/admin/v1/admin_pb.js";
import { Badge, BreakerBadge } from "../components/badge.js";
import { ErrorNote } from "../components/notice.js";
import { Sparkline } from "../components/sparkline.js";
import { channelName, decimal, durationText, money, NONE, percent } from "../format.js";
import { type LiveProviders, POLL_INTERVAL_MS, useLiveProviders } from "../live-providers.js";

export function ProvidersView() {
  const live = useLiveProviders();
  return (
    <>
      <h1>Providers</h1>
      <Freshness live={live} />
      {live.error && <ErrorNote>{live.error}</ErrorNote>}
      {live.providers === undefined ? (
        <p>Loading the providers…</p>
      ) : live.providers.length === 0 ? (
        <p>No providers are configured.</p>
      ) : (
        live.providers.map((provider) => <ProviderSection key={provider.name} provider={provider} />)
      )}
    </>
  );
}

function Freshness(props: { live: LiveProviders }) {
  const { mode, at } = props.live;
  const when = at ? at.toLocaleTimeString() : NONE;
  const how =
    mode === "live"
      ? "live: verifyd sends new figures as they come"
      : mode === "polling"
        ? `refreshed every ${POLL_INTERVAL_MS / 1000} s (the live stream is unavailable)`
        : "connecting";
  return (
    <p class="freshness" data-mode={mode}>
      <Badge tone={mode === "live" ? "good" : mode === "polling" ? "warn" : "neutral"}>{mode}</Badge> Figures of {when}; {how}.
    </p>
  );
}

function ProviderSection(props: { provider: ProviderInfo }) {
  const { provider } = props;
  const headingId = `provider-${provider.name}`;
  const stats = [...provider.stats].sort((a, b) => a.country.localeCompare(b.country) || a.channel - b.channel);
  return (
    <section class="provider" data-provider={provider.name} aria-labelledby={headingId}>
      <h2 id={headingId}>
        {provider.name} <span class="muted">({provider.type})</span>
      </h2>
      <p class="provider-facts">
        Channels: {provider.channels.map(channelName).join(", ") || NONE}. Cost per message: {money(provider.cost)}.
      </p>
      <ul class="breakers" aria-label={`${provider.name}: circuit breakers`}>
        {provider.breakers.map((breaker) => (
          <li key={breaker.channel} data-channel={channelName(breaker.channel)}>
            {channelName(breaker.channel)}: <BreakerBadge state={breaker.state} />
          </li>
        ))}
      </ul>
      {stats.length === 0 ? <p>No sends in the scoring window.</p> : <StatsTable provider={provider.name} stats={stats} />}
    </section>
  );
}

const COLUMNS = [
  "Sends",
  "Accepted",
  "Rejected",
  "Delivered",
  "Undelivered",
  "Delivery rate",
  "Median time to delivery",
  "Completion rate",
  "Cost per success",
  "Score",
  "Demotion",
  "Score over the window",
  "Delivery rate over the window",
];

function StatsTable(props: { provider: string; stats: ProviderStats[] }) {
  return (
    <div class="table-scroll">
      <table class="stats">
        <caption>{props.provider}: the scoring window by country and channel</caption>
        <thead>
          <tr>
            <th scope="col">Country</th>
            <th scope="col">Channel</th>
            {COLUMNS.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.stats.map((stats) => (
            <StatsRow key={`${stats.country}-${stats.channel}`} stats={stats} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function StatsRow(props: { stats: ProviderStats }) {
  const { stats } = props;
  const history = stats.history;
  return (
    <tr data-country={stats.country} data-channel={channelName(stats.channel)}>
      <th scope="row">{stats.country}</th>
      <td>{channelName(stats.channel)}</td>
      <td data-stat="sends">{String(stats.accepted + stats.rejected)}</td>
      <td data-stat="accepted">{String(stats.accepted)}</td>
      <td data-stat="rejected">{String(stats.rejected)}</td>
      <td data-stat="delivered">{String(stats.delivered)}</td>
      <td data-stat="undelivered">{String(stats.undelivered)}</td>
      <td data-stat="delivery-rate">{stats.delivered + stats.undelivered > 0n ? percent(stats.deliveryRate) : NONE}</td>
      <td data-stat="median-time-to-delivery">{durationText(stats.medianTimeToDelivery)}</td>
      <td data-stat="completion-rate">{stats.accepted > 0n ? percent(stats.completionRate) : NONE}</td>
      <td data-stat="cost-per-success">{money(stats.costPerSuccess)}</td>
      <td data-stat="score">{stats.score === undefined ? "not scored yet" : decimal(stats.score)}</td>
      <td data-stat="demotion">{stats.demoted ? <Badge tone="warn">demoted</Badge> : <Badge tone="neutral">not demoted</Badge>}</td>
      <td>
        <Sparkline label={`${stats.country} ${channelName(stats.channel)} score`} values={history.map((point) => point.score)} />
      </td>
      <td>
        <Sparkline label={`${stats.country} ${channelName(stats.channel)} delivery rate`} values={history.map((point) => point.deliveryRate)} format={percent} />
      </td>
    </tr>
  );
}
