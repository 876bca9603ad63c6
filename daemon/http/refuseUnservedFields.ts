import { NtError } from "../../protocol/NtError.js";

/**
 * Fields of OpenAI's requests that ntd accepts and ignores, each because ignoring it cannot change
 * the answer the client asked for:
 * - user, safety_identifier: an end-user id OpenAI keeps for abuse monitoring; no effect on the output.
 * - store, metadata: whether OpenAI keeps the completion for its dashboard, and tags for it; ntd
 *   keeps nothing, which is also what store: false asks.
 * - service_tier: OpenAI's billing and latency tier; ntd has one.
 * - prompt_cache_key: a hint for routing to OpenAI's prompt caches; no effect on the output.
 * - parallel_tool_calls: only has a meaning with tools, which are refused.
 */
const IGNORED_FIELDS = new Set(["user", "safety_identifier", "store", "metadata", "service_tier", "prompt_cache_key",
  "parallel_tool_calls"]);

/**
 * Fields ntd does not implement, with the one value each that asks for nothing (so accepting it
 * changes nothing) and what the field would need. null is accepted for every field: OpenAI
 * clients send null for "not set".
 */
const UNSERVED_FIELDS: Record<string, { noEffect: (value: unknown) => boolean; what: string }> = {
  n: { noEffect: (v) => v === 1, what: "one choice per request only" },
  best_of: { noEffect: (v) => v === 1, what: "one candidate per request only" },
  echo: { noEffect: (v) => v === false, what: "the prompt is not echoed" },
  suffix: { noEffect: (v) => v === "", what: "no insertion after a suffix" },
  logit_bias: { noEffect: (v) => isEmptyObject(v), what: "no logit bias" },
  tools: { noEffect: (v) => Array.isArray(v) && v.length === 0, what: "no tool calling" },
  tool_choice: { noEffect: (v) => v === "none", what: "no tool calling" },
  functions: { noEffect: (v) => Array.isArray(v) && v.length === 0, what: "no function calling" },
  function_call: { noEffect: (v) => v === "none", what: "no function calling" },
  response_format: { noEffect: (v) => isObject(v) && v.type === "text", what: "plain text only" },
};

/**
 * Refuses (NT_E_BAD_REQUEST, naming them) the fields of a request body that ntd would otherwise
 * ignore while they change what the client asked for (tools, response_format, n > 1, …): a
 * client must not get a plain answer believing its constraint held. `served` are the fields the
 * endpoint implements; IGNORED_FIELDS are accepted too. A body that is not an object is left to
 * the schema to refuse.
 */
export function refuseUnservedFields(body: unknown, served: readonly string[]): void {
  if (!isObject(body)) return;
  const refused = Object.entries(body)
    .filter(([key, value]) => value !== null && !served.includes(key) && !IGNORED_FIELDS.has(key))
    .filter(([key, value]) => !(Object.hasOwn(UNSERVED_FIELDS, key) && UNSERVED_FIELDS[key]!.noEffect(value)))
    .map(([key]) => (Object.hasOwn(UNSERVED_FIELDS, key) ? `${key} (${UNSERVED_FIELDS[key]!.what})` : `${key} (unknown field)`));
  if (refused.length === 0) return;
  throw new NtError("NT_E_BAD_REQUEST",
    `ntd does not implement ${refused.join(", ")}: remove ${refused.length === 1 ? "it" : "them"} from the request (null counts as not set)`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmptyObject(value: unknown): boolean {
  return isObject(value) && Object.keys(value).length === 0;
}
