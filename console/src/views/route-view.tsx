/**
 * Route explainer: for a number and a channel, the providers a Start would
 * try now, in order, each with its reason (ExplainRoute), and what each fraud
 * guard would decide (ExplainRisk). Asking changes nothing on the server.
 */
import { useRef, useState } from "preact/hooks";
import type { ExplainRiskResponse, ExplainRouteResponse, RouteStep } from "../../../gen/verify/admin/v1/admin_pb.js";
import { Channel } from "../../../gen/verify/v1/verify_pb.js";
import { useFailure } from "../access.js";
import { admin } from "../api.js";
import { Badge, BreakerBadge, DecisionBadge } from "../components/badge.js";
import { ErrorNote, Figures, StatusNote } from "../components/notice.js";
import { channelName, decimal, modeName, strategyName } from "../format.js";

const CHANNELS = [Channel.SMS, Channel.VOICE, Channel.WHATSAPP];

interface Explained {
  route?: ExplainRouteResponse;
  routeError?: string;
  risk?: ExplainRiskResponse;
  riskError?: string;
}

export function RouteView() {
  const failure = useFailure();
  const [phoneNumber, setPhoneNumber] = useState("");
  const [channel, setChannel] = useState(Channel.SMS);
  const [defaultCountry, setDefaultCountry] = useState("");
  const [busy, setBusy] = useState(false);
  const [explained, setExplained] = useState<Explained | undefined>(undefined);
  const results = useRef<HTMLDivElement>(null);

  async function explain(event: Event) {
    event.preventDefault();
    setBusy(true);
    const request = { phoneNumber: phoneNumber.trim(), channel, defaultCountry: defaultCountry.trim().toUpperCase() };
    const [route, risk] = await Promise.allSettled([admin.explainRoute(request), admin.explainRisk(request)]);
    setExplained({
      route: route.status === "fulfilled" ? route.value : undefined,
      routeError: route.status === "rejected" ? failure(route.reason) : undefined,
      risk: risk.status === "fulfilled" ? risk.value : undefined,
      riskError: risk.status === "rejected" ? failure(risk.reason) : undefined,
    });
    setBusy(false);
    results.current?.focus();
  }

  return (
    <>
      <h1>Route explainer</h1>
      <form class="inline-form" onSubmit={explain}>
        <label>
          Phone number
          <input type="tel" name="phone-number" required placeholder="+4915123456789" value={phoneNumber} onInput={(e) => setPhoneNumber(e.currentTarget.value)} />
        </label>
        <label>
          Channel
          <select name="channel" value={String(channel)} onChange={(e) => setChannel(Number(e.currentTarget.value) as Channel)}>
            {CHANNELS.map((value) => (
              <option key={value} value={String(value)}>
                {channelName(value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Default country (for a national number)
          <input name="default-country" maxLength={2} size={3} placeholder="DE" value={defaultCountry} onInput={(e) => setDefaultCountry(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Explain
        </button>
      </form>
      <div class="results" tabIndex={-1} ref={results} aria-live="polite">
        {busy && <StatusNote>Asking verifyd…</StatusNote>}
        {explained && <RouteResult explained={explained} />}
        {explained && <RiskResult explained={explained} />}
      </div>
    </>
  );
}

function RouteResult(props: { explained: Explained }) {
  const { route, routeError } = props.explained;
  if (routeError) return <ErrorNote>{`The route could not be explained: ${routeError}`}</ErrorNote>;
  if (!route) return null;
  const tried = route.steps.filter((step) => !step.skipped).sort((a, b) => a.position - b.position);
  const skipped = route.steps.filter((step) => step.skipped);
  return (
    <section class="route-result" aria-labelledby="route-heading">
      <h2 id="route-heading">
        Route for {route.phoneNumber} ({route.country}, {channelName(route.channel)})
      </h2>
      <p>Strategy: {strategyName(route.strategy)}.</p>
      {tried.length === 0 ? (
        <ErrorNote>No provider would be tried: a Start would answer UNAVAILABLE.</ErrorNote>
      ) : (
        <StepList label="Tried in this order" steps={tried} ordered />
      )}
      {skipped.length > 0 && <StepList label="Skipped" steps={skipped} />}
    </section>
  );
}

function StepList(props: { label: string; steps: RouteStep[]; ordered?: boolean }) {
  const items = props.steps.map((step) => (
    <li key={step.provider} class="route-step" data-provider={step.provider}>
      <strong>{step.provider}</strong> <span class="muted">(table position {step.tablePosition})</span>{" "}
      {step.skipped ? <Badge tone="bad">skipped</Badge> : <Badge tone="good">{`try ${step.position}`}</Badge>} <BreakerBadge state={step.breakerState} />
      {step.demoted && <Badge tone="warn">demoted</Badge>}
      {step.exploration && <Badge tone="neutral">exploration</Badge>}
      <span class="muted"> score {step.score === undefined ? "not scored yet" : decimal(step.score)}</span>
      <p class="reason">{step.reason}</p>
    </li>
  ));
  return (
    <>
      <h3>{props.label}</h3>
      {props.ordered ? <ol class="route-steps">{items}</ol> : <ul class="route-steps">{items}</ul>}
    </>
  );
}

function RiskResult(props: { explained: Explained }) {
  const { risk, riskError } = props.explained;
  if (riskError) return <ErrorNote>{`The fraud guard could not be asked: ${riskError}`}</ErrorNote>;
  if (!risk) return null;
  return (
    <section class="risk-result" aria-labelledby="risk-heading">
      <h2 id="risk-heading">Fraud guard</h2>
      <p>
        Mode: {modeName(risk.mode)}. {risk.allowed ? <Badge tone="good">a Start is allowed</Badge> : <Badge tone="bad">a Start is refused</Badge>} Number type:{" "}
        {risk.numberType || "unknown"}; prefix {risk.prefix || "—"}.{risk.allowListed && " On the allow list: every guard is skipped."}
        {risk.testNumber && " A test number: nothing is sent, no guard runs."}
        {risk.allowedChannels.length > 0 && ` Allowed instead: ${risk.allowedChannels.map(channelName).join(", ")}.`}
      </p>
      {risk.verdicts.length === 0 ? (
        <p>No guard judged this number.</p>
      ) : (
        <table class="verdicts">
          <caption>Each guard's verdict, in the order a Start runs them</caption>
          <thead>
            <tr>
              <th scope="col">Guard</th>
              <th scope="col">Decision</th>
              <th scope="col">Why</th>
              <th scope="col">Figures</th>
            </tr>
          </thead>
          <tbody>
            {risk.verdicts.map((verdict, index) => (
              // A guard can judge twice (the conversion guard per prefix and per country).
              <tr key={`${index}-${verdict.guard}`} data-guard={verdict.guard}>
                <th scope="row">{verdict.guard.replace(/_/g, " ")}</th>
                <td>
                  <DecisionBadge decision={verdict.decision} />
                </td>
                <td>{verdict.explanation}</td>
                <td>
                  <Figures figures={verdict.figures} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
