import type { z } from "zod";
import { cancelAllVerb } from "./verbs/cancelAllVerb.js";
import { chatVerb } from "./verbs/chatVerb.js";
import { detokenizeVerb } from "./verbs/detokenizeVerb.js";
import { generateVerb } from "./verbs/generateVerb.js";
import { loadVerb } from "./verbs/loadVerb.js";
import { pingVerb } from "./verbs/pingVerb.js";
import { statusVerb } from "./verbs/statusVerb.js";
import { tokenizeVerb } from "./verbs/tokenizeVerb.js";
import { unloadVerb } from "./verbs/unloadVerb.js";
import { versionVerb } from "./verbs/versionVerb.js";

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
