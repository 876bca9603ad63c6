import type { VerbName, VerbParams, VerbResult } from "../../protocol/verbs.js";
import type { DaemonContext } from "../DaemonContext.js";

/**
 * Serves one verb: takes already-validated params, returns the result or throws (an NtError,
 * or anything, which becomes NT_E_INTERNAL). `signal` aborts when the client cancels or leaves.
 */
export type VerbHandler<V extends VerbName> = (
  params: VerbParams<V>, context: DaemonContext, signal: AbortSignal,
) => VerbResult<V> | Promise<VerbResult<V>>;
