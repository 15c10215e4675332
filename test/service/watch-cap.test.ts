import { expect, test } from "vitest";
import { MAX_WATCHERS_PER_VERIFICATION } from "../../src/service/verification-service.js";
import { expectVerifyError } from "../support/expect-error.js";
import { createHarness, OTHER_PHONE, PHONE } from "../support/service-harness.js";

test("one verification gets at most MAX_WATCHERS_PER_VERIFICATION Watch streams; a closed one frees its place", async () => {
  const h = createHarness();
  const { id } = await h.service.start({ phoneNumber: PHONE });
  const open = Array.from({ length: MAX_WATCHERS_PER_VERIFICATION }, () => h.service.watch(id, new AbortController().signal));
  for (const stream of open) expect((await stream.next()).value?.type).toBe("snapshot");

  await expectVerifyError(h.service.watch(id, new AbortController().signal).next(), "resource_exhausted");
  // Another verification is not affected.
  const other = await h.service.start({ phoneNumber: OTHER_PHONE });
  const elsewhere = h.service.watch(other.id, new AbortController().signal);
  expect((await elsewhere.next()).value?.type).toBe("snapshot");

  await open[0]!.return(undefined);
  const again = h.service.watch(id, new AbortController().signal);
  expect((await again.next()).value?.type).toBe("snapshot");
  for (const stream of [...open.slice(1), elsewhere, again]) await stream.return(undefined);
});
