import type { RequestFrame } from "../protocol/clientFrames.js";
import { NtError } from "../protocol/NtError.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { VERBS, type VerbName, isVerbName } from "../protocol/verbs.js";
import type { DaemonContext } from "./DaemonContext.js";
import type { VerbHandler } from "./handlers/VerbHandler.js";
import { verbHandlers } from "./handlers/verbHandlers.js";
import { ntdMetrics } from "./metrics/ntdMetrics.js";

/**
 * Runs one request: finds its verb (NT_E_UNKNOWN_VERB), validates its params against the verb's
 * schema (NT_E_BAD_REQUEST naming the field) and calls the verb's handler, which streams events
 * through `emit`. Always async, so a handler that throws synchronously still ends as a rejected promise.
 */
export async function dispatchRequest(request: RequestFrame, context: DaemonContext,
  signal: AbortSignal, emit: (event: Record<string, unknown>) => void = () => {}): Promise<Record<string, unknown>> {
  // Unknown verbs share one label: a client must not be able to add metric series at will.
  const route = isVerbName(request.verb) ? request.verb : "unknown";
  try {
    const result = await runVerb(request, context, signal, emit);
    ntdMetrics.countRequest("socket", route, "ok");
    return result;
  } catch (err) {
    ntdMetrics.countRequest("socket", route, NtError.from(err).code);
    throw err;
  }
}

async function runVerb(request: RequestFrame, context: DaemonContext,
  signal: AbortSignal, emit: (event: Record<string, unknown>) => void): Promise<Record<string, unknown>> {
  const { verb } = request;
  if (!isVerbName(verb)) throw new NtError("NT_E_UNKNOWN_VERB", `unknown verb "${verb}"`);
  const params = parseMessage(VERBS[verb].params, request.params, "params");
  // The params were parsed with VERBS[verb], so they are what verbHandlers[verb] takes; TypeScript
  // cannot correlate the two lookups through the union of verb names.
  const handler = verbHandlers[verb] as unknown as VerbHandler<VerbName>;
  return await handler(params, context, signal, emit as (event: unknown) => void);
}
