/**
 * One Infobip adapter pointed at a stand-in SMS API v3, a clock the test
 * moves, and helpers that build delivery reports as Infobip posts them.
 */
import type { OutboundMessage, WebhookRequest } from "../../../src/providers/adapter.js";
import { infobipConfigSchema } from "../../../src/providers/infobip/config.js";
import { InfobipProvider } from "../../../src/providers/infobip/infobip.js";
import { type AdapterHarness, outboundMessage, startAdapterHarness } from "../support/adapter-harness.js";

export { expectProviderError, expectWebhookError, live } from "../support/adapter-harness.js";

export const NOW = 1_700_000_000_000;
export const PROVIDER = "infobip";
export const API_KEY = "0123456789abcdef0123456789abcdef-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
export const WEBHOOK_SECRET = "infobip-callback-token-0123456789";
export const FROM = "VerifyD";
export const TO = "+41793026727";
export const MESSAGE_ID = "2250be2d4219-3af1-78856-aabe-1362af1edfd2";
export const CALLBACK_URL = `https://verifyd.example.com/webhooks/${PROVIDER}/ver_abc123/1`;

export type InfobipHarness = AdapterHarness<InfobipProvider>;

export async function startInfobip(config: Record<string, unknown> = {}): Promise<InfobipHarness> {
  return startAdapterHarness(NOW, (baseUrl, context) => {
    const parsed = infobipConfigSchema.parse({
      name: PROVIDER,
      type: "infobip",
      base_url: baseUrl,
      api_key: API_KEY,
      from: FROM,
      webhook_secret: WEBHOOK_SECRET,
      ...config,
    });
    return new InfobipProvider(parsed, context);
  });
}

export function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return outboundMessage({ to: TO, code: "493817", body: "Your verifyd code is 493817", callbackUrl: CALLBACK_URL }, overrides);
}

export const STATUSES = {
  PENDING_ACCEPTED: { groupId: 1, groupName: "PENDING", id: 26, name: "PENDING_ACCEPTED", description: "Message sent to next instance" },
  PENDING_WAITING_DELIVERY: { groupId: 1, groupName: "PENDING", id: 3, name: "PENDING_WAITING_DELIVERY", description: "Message sent, waiting for delivery report" },
  DELIVERED_TO_OPERATOR: { groupId: 3, groupName: "DELIVERED", id: 2, name: "DELIVERED_TO_OPERATOR", description: "Message delivered to operator" },
  DELIVERED_TO_HANDSET: { groupId: 3, groupName: "DELIVERED", id: 5, name: "DELIVERED_TO_HANDSET", description: "Message delivered to handset" },
  UNDELIVERABLE_NOT_DELIVERED: { groupId: 2, groupName: "UNDELIVERABLE", id: 9, name: "UNDELIVERABLE_NOT_DELIVERED", description: "Message sent not delivered" },
  EXPIRED_EXPIRED: { groupId: 4, groupName: "EXPIRED", id: 15, name: "EXPIRED_EXPIRED", description: "Message expired" },
  REJECTED_NETWORK: { groupId: 5, groupName: "REJECTED", id: 6, name: "REJECTED_NETWORK", description: "Network is forbidden" },
} as const;

const NO_ERROR = { groupId: 0, groupName: "OK", id: 0, name: "NO_ERROR", description: "No Error", permanent: false };

/** One entry of a delivery report's `results`, as Infobip documents it. */
export function result(status: (typeof STATUSES)[keyof typeof STATUSES], overrides: Record<string, unknown> = {}) {
  return {
    bulkId: "BULK-ID-123-xyz",
    messageId: MESSAGE_ID,
    to: "41793026727",
    sender: FROM,
    sentAt: "2023-11-14T22:13:20.000+0000",
    doneAt: "2023-11-14T22:13:21.500+0000",
    messageCount: 1,
    price: { pricePerMessage: 0.01, currency: "EUR" },
    status,
    error: NO_ERROR,
    ...overrides,
  };
}

/** A delivery report as Infobip posts it to the notify URL verifyd gave, token in the query. */
export function deliveryReport(results: unknown[], options: { token?: string | null; contentType?: string; rawBody?: Buffer } = {}): WebhookRequest {
  const body = options.rawBody ?? Buffer.from(JSON.stringify({ results }));
  const token = options.token === undefined ? WEBHOOK_SECRET : options.token;
  const subpath = "/ver_abc123/1";
  const query = token === null ? "" : `?token=${encodeURIComponent(token)}`;
  return {
    method: "POST",
    url: `https://verifyd.example.com/webhooks/${PROVIDER}${subpath}${query}`,
    subpath,
    headers: { "content-type": options.contentType ?? "application/json", "user-agent": "Infobip" },
    body,
  };
}
