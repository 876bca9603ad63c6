import { VERBS, type VerbName } from "./verbs.js";

/** Whether a string names a verb; own keys only, so "constructor" or "__proto__" are not verbs. */
export function isVerbName(name: string): name is VerbName {
  return Object.hasOwn(VERBS, name);
}
