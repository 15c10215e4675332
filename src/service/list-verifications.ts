import { validateListQuery } from "../verification/listing.js";
import type { VerificationPage, VerificationQuery } from "../verification/ports.js";
import { asSeenAt } from "../verification/transitions/index.js";
import type { ServiceDeps } from "./deps.js";

/**
 * ListVerifications: validates the query, reads one page from the store and
 * shows each record as a caller sees it now. A code past its expiry reads as
 * expired before the timer loop has written so; such a record is left out of
 * a page that asks for other statuses (the page may come out shorter, the
 * token still continues where the store stopped).
 */
export async function listVerifications(deps: Pick<ServiceDeps, "store" | "clock">, query: VerificationQuery): Promise<VerificationPage> {
  const valid = validateListQuery(query);
  const page = await deps.store.listVerifications(valid);
  const now = deps.clock.now();
  const statuses = valid.statuses;
  const verifications = page.verifications.map((record) => asSeenAt(record, now)).filter((record) => !statuses || statuses.includes(record.status));
  return page.nextPageToken === undefined ? { verifications } : { verifications, nextPageToken: page.nextPageToken };
}
