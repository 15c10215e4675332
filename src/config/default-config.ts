/**
 * What `npm start` serves with no --config: an in-memory store, two SMS
 * simulators and a voice simulator, with demo numbers that show each kind of
 * failover and what status polling does about a lost receipt (listed in the
 * README). It listens on the loopback only: the simulators' /sim/outbox shows
 * every code they "send" (a container adds `--host 0.0.0.0`).
 */
export const DEFAULT_CONFIG_YAML = `
server: { port: 8080, host: 127.0.0.1 }
store: { type: memory }
policy: { code_length: 6, code_ttl: 10m, delivery_window: 30s, max_check_attempts: 5, resend_min_interval: 30s, auto_escalate: false }
rate_limits: { per_phone: { limit: 5, window: 10m }, per_ip: { limit: 50, window: 10m } }
console: { enabled: true, refresh_interval: 5s }   # the operator console at /console/
providers:
  - name: sim-a
    type: simulator
    channels: [sms]
    cost: 0.0075
    simulate:
      default: { outcome: deliver, latency_ms: 20, dlr_delay_ms: 500 }
      rules:
        - { match: "+1202555011*", outcome: reject, error: no_route }   # fast failover to sim-b
        - { match: "+1202555012*", outcome: drop, latency_ms: 20 }      # slow failover after the delivery window
        - { match: "+1202555013*", outcome: reject, error: unavailable } # all SMS fails: voice offered
        - { match: "+1202555014*", outcome: undelivered, latency_ms: 20, dlr_delay_ms: 1000 } # receipt says undelivered: failover at once
        - { match: "+1202555015*", outcome: silent_deliver, latency_ms: 20, dlr_delay_ms: 500 } # no receipt; the status poll finds it delivered
        - { match: "+1202555016*", outcome: silent_undelivered, latency_ms: 20, dlr_delay_ms: 1000 } # no receipt; the status poll finds it undelivered: failover
  - name: sim-b
    type: simulator
    channels: [sms]
    cost: 0.0090
    simulate:
      default: { outcome: deliver, latency_ms: 30, dlr_delay_ms: 800 }
      rules:
        - { match: "+1202555013*", outcome: reject, error: no_route }
  - name: sim-voice
    type: simulator
    channels: [voice]
    cost: 0.0130
    simulate:
      default: { outcome: deliver, latency_ms: 50, dlr_delay_ms: 2000 }
routing:
  default: [sim-a, sim-b, sim-voice]
  countries:
    DE: [sim-b, sim-a, sim-voice]
`;
