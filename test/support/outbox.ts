/**
 * What the simulators "sent", read the way a demo reads it (GET /sim/outbox),
 * and the code inside a message, as the user would type it.
 */
import { expect } from "vitest";
import { eventually } from "./eventually.js";

export interface OutboxMessage {
  provider: string;
  channel: string;
  to: string;
  body: string;
  at: string;
}

/** The messages verifyd at `url` had its simulators accept for `to` (or for anyone), oldest first. */
export async function readOutbox(url: string, to?: string): Promise<OutboxMessage[]> {
  const query = to === undefined ? "" : `?to=${encodeURIComponent(to)}`;
  const response = await fetch(`${url}/sim/outbox${query}`);
  if (response.status !== 200) throw new Error(`GET /sim/outbox answered ${response.status}`);
  return ((await response.json()) as { messages: OutboxMessage[] }).messages;
}

/** Polls the outbox until `to` has at least `count` messages, and returns them. */
export async function waitForOutbox(url: string, to: string, count: number, timeoutMs = 5_000): Promise<OutboxMessage[]> {
  return eventually(
    async () => {
      const messages = await readOutbox(url, to);
      expect(messages.length, `messages sent to ${to}`).toBeGreaterThanOrEqual(count);
      return messages;
    },
    { timeoutMs },
  );
}

/**
 * The code in a simulated message: "123456" in an SMS, "1, 2, 3, 4, 5, 6" in
 * a voice script (read digit by digit). The first such run is the code; the
 * templates mention nothing numeric before it.
 */
export function codeFromBody(body: string): string {
  const match = /\d(?:, \d){3,9}|\d{4,10}/.exec(body);
  if (!match) throw new Error(`no code in message body ${JSON.stringify(body)}`);
  return match[0].replace(/\D/g, "");
}

/** Any other code of the same length. */
export function wrongCode(code: string): string {
  const last = Number(code.at(-1));
  return code.slice(0, -1) + String((last + 1) % 10);
}
