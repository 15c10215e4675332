import type { Collection, Filter } from "mongodb";
import { decodePageToken, encodePageToken, matchesQuery, pageSizeOf } from "../../verification/listing.js";
import type { VerificationRecord } from "../../verification/model.js";
import type { VerificationPage, VerificationQuery } from "../../verification/ports.js";
import type { ConditionalWriter } from "./conditional-writes.js";
import { fromDocument, type VerificationDocument } from "./documents.js";

/**
 * One page of ListVerifications: newest first along the `list_newest_first`
 * index ({ createdAt: -1, _id: -1 }), resuming strictly after the page
 * token's (createdAt, _id), so inserts between pages shift nothing. One more
 * document than the page is read to know whether another page follows.
 */
export async function listVerifications(
  verifications: Collection<VerificationDocument>,
  writer: ConditionalWriter,
  query: VerificationQuery,
  maxTimeMS: number,
): Promise<VerificationPage> {
  const size = pageSizeOf(query);
  const found = await verifications.find(listFilter(query), { projection: { events: 0 }, sort: { createdAt: -1, _id: -1 }, limit: size + 1, maxTimeMS }).toArray();
  const more = found.length > size;
  const shown = found.slice(0, size);
  // Fenced writes (FerretDB) may hold a committed change not yet on the document; a page shows records as get() would.
  const settled = await Promise.all(
    shown.map((document) => writer.settle(document, () => verifications.findOne({ _id: document._id }, { projection: { events: 0 }, maxTimeMS }))),
  );
  const records: VerificationRecord[] = [];
  for (const document of settled) {
    const record = document && fromDocument(document);
    // A settled change can take a record out of the filter; its place still ends the page, so nothing after it is skipped.
    if (record && matchesQuery(record, query)) records.push(record);
  }
  const last = shown.at(-1);
  return more && last ? { verifications: records, nextPageToken: encodePageToken({ createdAt: last.createdAt, id: last._id }) } : { verifications: records };
}

function listFilter(query: VerificationQuery): Filter<VerificationDocument> {
  const clauses: Filter<VerificationDocument>[] = [];
  if (query.statuses && query.statuses.length > 0) clauses.push({ status: { $in: [...query.statuses] } });
  if (query.country !== undefined) clauses.push({ country: query.country });
  if (query.provider !== undefined) clauses.push({ "attempts.provider": query.provider });
  if (query.createdAfter !== undefined) clauses.push({ createdAt: { $gte: query.createdAfter } });
  if (query.createdBefore !== undefined) clauses.push({ createdAt: { $lt: query.createdBefore } });
  if (query.pageToken) {
    const cursor = decodePageToken(query.pageToken);
    clauses.push({ $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, _id: { $lt: cursor.id } }] });
  }
  return clauses.length === 0 ? {} : { $and: clauses };
}
