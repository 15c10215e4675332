/**
 * Runs `setUp` the first time it is needed and shares that run with every
 * caller; a failed run is forgotten, so the next caller tries again (a
 * database that was down at start-up is set up once it is back).
 */
export function setUpOnce(setUp: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => {
    running ??= setUp().catch((error: unknown) => {
      running = undefined;
      throw error;
    });
    return running;
  };
}
