import { DaemonMetrics } from "./DaemonMetrics.js";

/**
 * The metrics of this process. One per process, like prom-client's own default registry: a
 * daemon is one process, and the places that record (runGeneration, the socket dispatcher, the
 * HTTP server) then need no metrics object threaded through every call. Tests that run several
 * daemons in one process read differences, or label values of their own (model names).
 */
export const ntdMetrics = new DaemonMetrics();
