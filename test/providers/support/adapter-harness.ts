/**
 * What every adapter test needs around the adapter itself: a stand-in for the
 * provider's API, a ProviderContext with a clock the test moves and a receipt
 * sink that keeps what it is given, an outbound message, and assertions on
 * the errors adapters throw. Each provider's harness or fixtures file adds
 * its own config, constants and payload builders on top.
 */
import { afterAll, beforeAll, beforeEach, expect } from "vitest";
import {
  type DeliveryReport,
  type OutboundMessage,
  type ProviderContext,
  ProviderError,
  type ProviderErrorKind,
  WebhookError,
} from "../../../src/providers/adapter.js";
import { StandInServer } from "./stand-in-server.js";

/** A ProviderContext whose clock stands still until the test moves it, and whose receipts are kept. */
export interface TestContext extends ProviderContext {
  advance(ms: number): void;
  readonly reported: DeliveryReport[];
}

export function testContext(start: number): TestContext {
  let now = start;
  const reported: DeliveryReport[] = [];
  return {
    receipts: { report: async (receipt) => void reported.push(receipt) },
    reported,
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

export interface AdapterHarness<P> {
  api: StandInServer;
  provider: P;
  context: TestContext;
}

/**
 * Starts a stand-in API and builds the adapter against it: `build` gets the
 * stand-in's URL (to use as base_url) and the context to construct with.
 */
export async function startAdapterHarness<P>(now: number, build: (baseUrl: string, context: TestContext) => P): Promise<AdapterHarness<P>> {
  const api = await StandInServer.start();
  const context = testContext(now);
  return { api, provider: build(api.url, context), context };
}

/**
 * Starts something that owns a stand-in API once for the enclosing file or
 * describe block, hands it to `use`, and closes its API after all tests; with
 * `reset`, the API's routes and requests are cleared before each test.
 */
function startForAll<T>(start: () => Promise<T>, apiOf: (started: T) => StandInServer, use: (started: T) => void, options: { reset?: boolean }): void {
  let api: StandInServer | undefined;
  beforeAll(async () => {
    const started = await start();
    api = apiOf(started);
    use(started);
  });
  afterAll(async () => {
    await api?.close();
  });
  if (options.reset) beforeEach(() => api?.reset());
}

/** One stand-in API for the file or describe block: see startForAll. */
export function useStandInServer(use: (api: StandInServer) => void, options: { reset?: boolean } = {}): void {
  startForAll(
    () => StandInServer.start(),
    (api) => api,
    use,
    options,
  );
}

/** One adapter harness for the file or describe block: see startForAll. */
export function useHarness<H extends { api: StandInServer }>(start: () => Promise<H>, use: (h: H) => void, options: { reset?: boolean } = {}): void {
  startForAll(start, (h) => h.api, use, options);
}

/** The first attempt of verification ver_abc123: what `to`, `code`, `body` and `callbackUrl` are is the provider's. */
export function outboundMessage(
  fields: Pick<OutboundMessage, "to" | "code" | "body" | "callbackUrl"> & Partial<OutboundMessage>,
  overrides: Partial<OutboundMessage> = {},
): OutboundMessage {
  return {
    channel: "sms",
    locale: "en",
    idempotencyKey: "ver_abc123-attempt-1",
    reference: { verificationId: "ver_abc123", attemptNumber: 1 },
    ...fields,
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Awaits `promise`, expects it to reject with a ProviderError, and returns that error. */
export async function refusal(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

export async function expectProviderError(promise: Promise<unknown>, kind: ProviderErrorKind): Promise<ProviderError> {
  const caught = await rejection(promise);
  expect(caught, `expected a ProviderError of kind ${kind}`).toBeInstanceOf(ProviderError);
  expect((caught as ProviderError).kind).toBe(kind);
  return caught as ProviderError;
}

export async function expectWebhookError(promise: Promise<unknown>, status: WebhookError["status"]): Promise<WebhookError> {
  const caught = await rejection(promise);
  expect(caught, `expected a WebhookError ${status}`).toBeInstanceOf(WebhookError);
  expect((caught as WebhookError).status).toBe(status);
  return caught as WebhookError;
}

/** A signal that never aborts. */
export function live(): AbortSignal {
  return new AbortController().signal;
}
