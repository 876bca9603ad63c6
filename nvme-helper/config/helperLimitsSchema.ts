import { z } from "zod";

/**
 * `limits` of /etc/ntd/helper.json: how much of the helper a peer other than root may hold, so a
 * compromised `nt` (THREAT_MODEL.md) cannot take every fd, fill the queue, or keep root waiting.
 * Every field has a default; root's connections and requests are never counted nor refused.
 */
export const helperLimitsSchema = z.strictObject({
  /**
   * Open connections per uid (root exempt); one more is refused at once with NT_E_BUSY. Default 8:
   * ntd opens one per raw load, ntctl one per command.
   */
  maxConnectionsPerUid: z.int().positive().default(8),
  /** Open connections of all uids but root together; past it, NT_E_BUSY. Default 32. */
  maxConnections: z.int().positive().default(32),
  /**
   * A connection with no request waiting or running for this long is closed with NT_E_TIMEOUT
   * (root's too: an idle connection serves nobody). Default 30000 ms.
   */
  idleTimeoutMs: z.int().positive().default(30_000),
  /** Requests one uid (root exempt) may have waiting or running; one more is answered NT_E_BUSY. Default 4. */
  maxQueuedPerUid: z.int().positive().default(4),
  /** Requests of all uids but root together, waiting or running; past it, NT_E_BUSY. Default 16. */
  maxQueued: z.int().positive().default(16),
});

export type HelperLimits = z.infer<typeof helperLimitsSchema>;
