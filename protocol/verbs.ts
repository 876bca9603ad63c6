import type { z } from "zod";
import { chatVerb } from "./verbs/chatVerb.js";
import { pingVerb, versionVerb } from "./verbs/daemonVerbs.js";
import { generateVerb } from "./verbs/generateVerb.js";
import { cancelAllVerb, loadVerb, unloadVerb } from "./verbs/modelVerbs.js";
import { statusVerb } from "./verbs/statusVerb.js";
import { detokenizeVerb, tokenizeVerb } from "./verbs/tokenizerVerbs.js";

/**
 * Every verb of ntd.sock: its name → the schemas of its params, its result and, for a verb that
 * streams, its events. Adding a verb is one entry here (plus its handler in the daemon, which the
 * type system then demands).
 */
export const VERBS = {
  ping: pingVerb,
  version: versionVerb,
  status: statusVerb,
  load: loadVerb,
  unload: unloadVerb,
  generate: generateVerb,
  chat: chatVerb,
  tokenize: tokenizeVerb,
  detokenize: detokenizeVerb,
  cancelAll: cancelAllVerb,
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType; event?: z.ZodType }>;

export type VerbName = keyof typeof VERBS;
export type VerbParams<V extends VerbName> = z.infer<(typeof VERBS)[V]["params"]>;
export type VerbResult<V extends VerbName> = z.infer<(typeof VERBS)[V]["result"]>;
/** The events a verb streams before its result; never for a verb that streams none. */
export type VerbEvent<V extends VerbName> = (typeof VERBS)[V] extends { event: infer S extends z.ZodType } ? z.infer<S> : never;

/** Whether a string names a verb; own keys only, so "constructor" or "__proto__" are not verbs. */
export function isVerbName(name: string): name is VerbName {
  return Object.hasOwn(VERBS, name);
}
