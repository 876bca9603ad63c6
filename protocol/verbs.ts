import type { z } from "zod";
import { pingVerb } from "./verbs/pingVerb.js";
import { statusVerb } from "./verbs/statusVerb.js";
import { versionVerb } from "./verbs/versionVerb.js";

/**
 * Every verb of ntd.sock: its name → the schemas of its params and its result. Adding a verb is
 * one entry here (plus its handler in the daemon, which the type system then demands).
 */
export const VERBS = {
  ping: pingVerb,
  version: versionVerb,
  status: statusVerb,
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type VerbName = keyof typeof VERBS;
export type VerbParams<V extends VerbName> = z.infer<(typeof VERBS)[V]["params"]>;
export type VerbResult<V extends VerbName> = z.infer<(typeof VERBS)[V]["result"]>;
