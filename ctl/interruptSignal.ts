/** What interruptSignal returns. */
export interface InterruptSignal {
  /** Aborts on the first SIGINT (Ctrl-C). */
  signal: AbortSignal;
  /** Stops listening; a later Ctrl-C ends the process as usual. */
  dispose(): void;
}

/**
 * Turns the first Ctrl-C into an abort, so a command can cancel its request in the daemon and exit
 * 130 (128 + SIGINT, as shells report it) instead of dying with the request still running. A second
 * Ctrl-C, once this one is handled, ends the process as usual.
 */
export function interruptSignal(): InterruptSignal {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", onSigint) };
}
