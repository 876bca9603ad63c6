import type { VerbEvent, VerbName, VerbParams, VerbResult } from "../../protocol/verbs.js";
import type { DaemonContext } from "../DaemonContext.js";

/**
 * Serves one verb: takes already-validated params, returns the result or throws (an NtError,
 * or anything, which becomes NT_E_INTERNAL). `signal` aborts when the client cancels or leaves.
 * `emit` sends one event of a streaming verb to the client at once; it never throws, and does
 * nothing once the request has ended.
 */
export type VerbHandler<V extends VerbName> = (
  params: VerbParams<V>, context: DaemonContext, signal: AbortSignal, emit: (event: VerbEvent<V>) => void,
) => VerbResult<V> | Promise<VerbResult<V>>;
