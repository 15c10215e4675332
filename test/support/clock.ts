/**
 * The one fake clock the suites share: it moves only when a test says so.
 * Pass it to startTestServer({ clock }) and policy timing (delivery window,
 * expiry, resend interval) follows the test's hand instead of the wall clock.
 */
export { FakeClock } from "./fakes.js";

/** Midnight UTC: a whole number of minutes and hours, so scorer buckets start exactly here. */
export const T0 = Date.UTC(2024, 0, 1);
